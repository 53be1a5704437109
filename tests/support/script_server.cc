#include "support/script_server.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include "support/daemon_process.h"
#include "support/process.h"

namespace nb::test {

namespace {

std::vector<std::string> args_for(const std::string& script, const TempDir& dir,
                                  const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {"/usr/bin/python3", script, dir / "port", dir / "log.jsonl"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

// A self-signed certificate for 127.0.0.1, made once per server.
std::vector<std::string> make_cert(const TempDir& dir) {
  const auto r = run_process({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                              "-keyout", dir / "key.pem", "-out", dir / "cert.pem", "-days", "2",
                              "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"});
  if (r.exit_code != 0) throw std::runtime_error("openssl req: " + r.err);
  return {dir / "cert.pem", dir / "key.pem"};
}

}  // namespace

ScriptServer::ScriptServer(const std::string& script, const Args& args) {
  std::vector<std::string> argv =
      args_for(script, dir_, args ? args(dir_) : std::vector<std::string>{});
  std::vector<char*> ptrs;
  for (auto& a : argv) ptrs.push_back(a.data());
  ptrs.push_back(nullptr);
  const std::string err = dir_ / "stderr";
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("cannot fork for " + script);
  if (pid_ == 0) {  // gone with this process, and off ctest's pipe (as sshd_fixture.cc)
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    const int null = ::open("/dev/null", O_RDWR);
    const int log = ::open(err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(log, 2);
    ::execv(ptrs[0], ptrs.data());
    ::_exit(127);
  }
  wait_until(
      [&] {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
          pid_ = -1;
          throw std::runtime_error(script + " exited: " + read_whole(err));
        }
        std::ifstream in(dir_ / "port");
        return static_cast<bool>(in >> port_);
      },
      script + " to listen");
}

ScriptServer::~ScriptServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

std::vector<nlohmann::json> ScriptServer::records() const {
  std::vector<nlohmann::json> out;
  std::ifstream in(dir_ / "log.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    // A line being written has no newline yet: skipped until it is whole.
    const auto parsed = nlohmann::json::parse(line, nullptr, false);
    if (!parsed.is_discarded()) out.push_back(parsed);
  }
  return out;
}

std::vector<nlohmann::json> ScriptServer::wait_for(
    size_t count, const std::function<bool(const nlohmann::json&)>& keep,
    const std::string& what) const {
  std::vector<nlohmann::json> kept;
  wait_until(
      [&] {
        kept.clear();
        for (auto& r : records()) {
          if (keep(r)) kept.push_back(std::move(r));
        }
        return kept.size() >= count;
      },
      what);
  return kept;
}

HttpSink::HttpSink() : ScriptServer(NB_SOURCE_DIR "/tests/support/net/http_sink.py") {}

std::string HttpSink::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port()) + path;
}

SmtpSink::SmtpSink(const std::string& user, const std::string& password)
    : ScriptServer(NB_SOURCE_DIR "/tests/support/net/smtp_sink.py", [&](const TempDir& d) {
        auto files = make_cert(d);
        files.push_back(user);
        files.push_back(password);
        return files;
      }) {}

std::string SmtpSink::cert() const {
  return dir() / "cert.pem";
}

}  // namespace nb::test
