#include "support/daemon_process.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "common/control_client.h"

extern char** environ;

namespace nb::test {

namespace {

constexpr auto kPatience = std::chrono::seconds(120);
constexpr auto kPollEvery = std::chrono::milliseconds(20);

// The test's environment without what systemd would set, plus `extra`.
std::vector<std::string> child_environment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string var = *e;
    if (var.starts_with("NOTIFY_SOCKET=") || var.starts_with("WATCHDOG_") ||
        var.starts_with("JOURNAL_STREAM=")) {
      continue;
    }
    env.push_back(var);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

void wait_until(const std::function<bool()>& done, const std::string& what) {
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("gave up waiting for " + what);
    }
    std::this_thread::sleep_for(kPollEvery);
  }
}

DaemonProcess::DaemonProcess(DaemonLaunch launch)
    : launch_(std::move(launch)), err_path_(io_ / "stderr") {
  std::vector<std::string> argv = launch_.prefix;
  argv.insert(argv.end(), {NB_DAEMON_BIN, "-c", launch_.config, "--log-level", "debug"});
  argv.insert(argv.end(), launch_.args.begin(), launch_.args.end());
  auto env = child_environment(launch_.env);
  auto c_argv = c_strings(argv);
  auto c_env = c_strings(env);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  const int rc = ::posix_spawnp(&pid_, c_argv[0], &actions, nullptr, c_argv.data(), c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("spawn " + argv[0] + ": " + std::strerror(rc));
}

DaemonProcess::~DaemonProcess() {
  if (exited_) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
}

void DaemonProcess::signal(int sig) {
  ::kill(pid_, sig);
}

bool DaemonProcess::running() {
  int status = 0;
  if (!exited_ && ::waitpid(pid_, &status, WNOHANG) == pid_) {
    exited_ = true;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  return !exited_;
}

int DaemonProcess::wait_exit() {
  if (exited_) return exit_code_;
  int status = 0;
  wait_until([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, "nodebackupd to exit");
  exited_ = true;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return exit_code_;
}

std::string DaemonProcess::log() const {
  return read_whole(err_path_);
}

void DaemonProcess::wait_for_log(const std::string& needle) {
  wait_until([&] { return log().find(needle) != std::string::npos; }, "log line: " + needle);
}

nlohmann::json DaemonProcess::request(const nlohmann::json& request) {
  auto client = ControlClient::connect(launch_.socket);
  if (!client) throw std::runtime_error(client.error().message());
  if (auto r = client->send(request); !r) throw std::runtime_error(r.error().message());
  auto reply = client->receive(std::chrono::milliseconds(kPatience));
  if (!reply) throw std::runtime_error(reply.error().message());
  return *reply;
}

nlohmann::json DaemonProcess::wait_status(const std::function<bool(const nlohmann::json&)>& done) {
  nlohmann::json status;
  try {
    poll_status(done, status);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string(e.what()) + "; the last status:\n" + status.dump() +
                             "\nthe daemon's log:\n" + log());
  }
  return status;
}

void DaemonProcess::poll_status(const std::function<bool(const nlohmann::json&)>& done,
                                nlohmann::json& status) {
  wait_until(
      [&] {
        if (!running()) throw std::runtime_error("nodebackupd exited while a test waited for it");
        auto client = ControlClient::connect(launch_.socket);
        if (!client) return false;  // not listening yet
        if (!client->send({{"command", "status"}})) return false;
        auto reply = client->receive(std::chrono::milliseconds(kPatience));
        if (!reply) return false;
        status = std::move(*reply);
        return done(status);
      },
      "a status that satisfies the test");
}

nlohmann::json DaemonProcess::node(const nlohmann::json& status, const std::string& id) {
  for (const auto& n : status.value("nodes", nlohmann::json::array())) {
    if (n.value("id", "") == id) return n;
  }
  return nullptr;
}

}  // namespace nb::test
