#include "support/sshd_fixture.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <shadow.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/temp_dir.h"

extern char** environ;

namespace nb::test {

namespace {

void run(const std::string& command) {
  if (std::system(command.c_str()) != 0) throw std::runtime_error("failed: " + command);
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// Every process descended from `root` (sshd's per-connection processes), from /proc.
std::vector<pid_t> descendants(pid_t root) {
  std::map<pid_t, std::vector<pid_t>> children;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(e.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state;
    pid_t parent;
    if (rest >> state >> parent) children[parent].push_back(std::stoi(name));
  }
  std::vector<pid_t> out;
  std::vector<pid_t> todo = {root};
  while (!todo.empty()) {
    const pid_t p = todo.back();
    todo.pop_back();
    for (pid_t c : children[p]) {
      out.push_back(c);
      todo.push_back(c);
    }
  }
  return out;
}

// The dedicated test user (not root: root's shell start-up files on these machines do slow
// work that a killed session can leave locked). scripts/test.sh creates it before the tests
// run in parallel; this covers running the test binary by hand.
void ensure_test_user(const std::string& user, const std::string& shell) {
  if (::getpwnam(user.c_str()) == nullptr) {
    (void)std::system(("useradd --system --create-home --shell " + shell + " " + user).c_str());
  }
  // "*" rather than useradd's "!": sshd without PAM refuses accounts whose password is locked.
  const spwd* shadow = ::getspnam(user.c_str());
  if (shadow == nullptr || shadow->sp_pwdp[0] == '!') run("usermod -p '*' " + user);
  if (::getpwnam(user.c_str()) == nullptr) throw std::runtime_error("no user " + user);
}

// What a real user's start-up files do that matters here: print, on both streams, before the
// command runs. bash sources ~/.bashrc for an ssh command (Debian builds it so).
void write_heavy_startup_files(const std::string& user) {
  const passwd* pw = ::getpwnam(user.c_str());
  if (pw == nullptr) throw std::runtime_error("no user " + user);
  const std::string rc =
      "# nodebackup test user: a start-up file that prints, as pyenv or a banner does\n"
      "echo \"welcome to $(hostname) (heavy shell start-up)\"\n"
      "echo 'pyenv: shims initialised' >&2\n";
  for (const char* name : {"/.bashrc", "/.profile"}) {
    // Test processes run in parallel: only the first writes (scripts/test.sh writes them too).
    std::ifstream current(std::string(pw->pw_dir) + name);
    if (std::string((std::istreambuf_iterator<char>(current)), {}) == rc) continue;
    write_file(std::string(pw->pw_dir) + name, rc, 0);
    run("chown " + user + " " + std::string(pw->pw_dir) + name);
  }
}

}  // namespace

SshServer& SshServer::instance() {
  static SshServer server("");
  return server;
}

SshServer& SshServer::without_tools() {
  static SshServer server("SetEnv PATH=/nonexistent\n");
  return server;
}

SshServer& SshServer::rekeying() {
  static SshServer server("RekeyLimit 256K\n");
  return server;
}

SshServer& SshServer::as_root() {
  static SshServer server("", "root");
  return server;
}

SshServer& SshServer::heavy_shell() {
  static SshServer server("", kHeavyUser);
  return server;
}

SshServer& SshServer::hostile() {
  static const std::string tools = [] {
    char pattern[] = "/tmp/nbhostile.XXXXXX";
    if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    const std::string dir = pattern;
    ::chmod(dir.c_str(), 0755);
    run("cp " NB_SOURCE_DIR "/tests/support/hostile/hostile_tool.py " + dir + "/tool.py");
    run("ln -s tool.py " + dir + "/find && ln -s tool.py " + dir + "/tar");
    run("cp " NB_SOURCE_DIR "/tests/support/hostile/sftp_proxy.py " + dir + "/sftp_proxy.py");
    return dir;
  }();
  static SshServer server("SetEnv PATH=" + tools + ":/usr/bin:/bin\nSubsystem sftp " + tools +
                          "/sftp_proxy.py\n");
  server.tools_dir_ = tools;
  return server;
}

void SshServer::set_hostile_mode(const std::string& mode) {
  write_file(tools_dir_ + "/mode", mode + "\n", 0);
  ::chmod((tools_dir_ + "/mode").c_str(), 0644);
}

SshServer::SshServer(const std::string& extra_config, std::string user) : user_(std::move(user)) {
  if (user_ == kHeavyUser) {
    ensure_test_user(user_, "/bin/bash");
    write_heavy_startup_files(user_);
  } else if (user_ != "root") {
    ensure_test_user(user_, "/bin/sh");
  }
  char pattern[] = "/tmp/nbsshd.XXXXXX";
  if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  ::chmod(dir_.c_str(), 0755);
  port_ = free_port();
  create_keys_and_config(extra_config);
  start();
}

SshServer::~SshServer() {
  for (const auto& [rtt, proxy] : proxies_) {
    ::kill(proxy.second, SIGKILL);
    int status;
    ::waitpid(proxy.second, &status, 0);
  }
  stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
  if (!tools_dir_.empty()) std::filesystem::remove_all(tools_dir_, ignored);
}

void SshServer::create_keys_and_config(const std::string& extra_config) {
  run("ssh-keygen -q -t ed25519 -N '' -f " + dir_ + "/host_key");
  run("ssh-keygen -q -t ed25519 -N '' -f " + dir_ + "/user_key");
  run("cp " + dir_ + "/user_key.pub " + dir_ + "/authorized_keys");
  write_file(dir_ + "/known_hosts",
             "[127.0.0.1]:" + std::to_string(port_) + " " + host_public_key() + "\n", 0);
  write_file(
      dir_ + "/sshd_config",
      "ListenAddress 127.0.0.1\n"
      "Port " +
          std::to_string(port_) +
          "\n"
          "HostKey " +
          dir_ +
          "/host_key\n"
          "PidFile " +
          dir_ +
          "/sshd.pid\n"
          "AuthorizedKeysFile " +
          dir_ +
          "/authorized_keys\n"
          "AllowUsers " +
          user_ +
          "\n"
          "StrictModes no\nUsePAM no\nPasswordAuthentication no\n"
          "KbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
          "PermitRootLogin " +
          (user_ == "root" ? "prohibit-password" : "no") +
          "\nMaxStartups 64\nMaxSessions 64\nLogLevel ERROR\n" +
          (extra_config.find("Subsystem") == std::string::npos ? "Subsystem sftp internal-sftp\n"
                                                               : "") +
          extra_config,
      0);
  std::filesystem::create_directories("/run/sshd");  // sshd's privilege separation dir
}

std::string SshServer::host_public_key() const {
  std::string key = read_whole(dir_ + "/host_key.pub");
  key = key.substr(0, key.find(' ', key.find(' ') + 1));  // drop the comment
  return key;
}

fs::ssh::SshTarget SshServer::target() const {
  return {.node_id = "02_node",
          .host = "127.0.0.1",
          .port = port_,
          .user = user_,
          .identity_file = dir_ + "/user_key",
          .known_hosts = dir_ + "/known_hosts",
          .accept_new = false,
          .timeout = std::chrono::seconds(10)};
}

fs::ssh::SshTarget SshServer::target_via_delay(int rtt_ms) {
  auto& proxy = proxies_[rtt_ms];
  if (proxy.second <= 0) {
    proxy.first = free_port();
    const std::string script = NB_SOURCE_DIR "/tests/support/net/delay_proxy.py";
    const std::string listen = std::to_string(proxy.first), to = std::to_string(port_),
                      rtt = std::to_string(rtt_ms);
    const pid_t parent = ::getpid();
    proxy.second = ::fork();
    if (proxy.second < 0) throw std::runtime_error("cannot fork for the delay proxy");
    if (proxy.second == 0) {  // as for sshd: gone with this process, off ctest's pipe
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      const int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(null, 2);
      ::execl("/usr/bin/python3", "python3", script.c_str(), listen.c_str(), to.c_str(),
              rtt.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 1000 && !accepts(proxy.first); ++i) {  // polled, up to 10 s
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!accepts(proxy.first)) throw std::runtime_error("the delay proxy does not accept");
    write_file(dir_ + "/known_hosts_" + listen,
               "[127.0.0.1]:" + listen + " " + host_public_key() + "\n", 0);
  }
  auto t = target();
  t.port = proxy.first;
  t.known_hosts = dir_ + "/known_hosts_" + std::to_string(proxy.first);
  return t;
}

void SshServer::start() {
  if (pid_ > 0) return;
  const std::string config = dir_ + "/sshd_config";
  const std::string log = dir_ + "/sshd.log";
  std::vector<const char*> argv = {"/usr/sbin/sshd", "-D", "-e", "-f", config.c_str(), nullptr};
  // sshd must not outlive the test process, nor hold its output: a test binary that dies (a
  // sanitizer halting it) would otherwise leave a listener writing to the pipe ctest reads,
  // and ctest would wait for that pipe until its timeout. So the listener gets SIGKILL when
  // this process dies, and logs to a file. Between fork and exec only async-signal-safe calls.
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("cannot fork for /usr/sbin/sshd");
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
    const int null = ::open("/dev/null", O_RDWR);
    const int err = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (null < 0 || err < 0) ::_exit(127);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(err, 2);
    ::execve(argv[0], const_cast<char**>(argv.data()), environ);
    ::_exit(127);
  }
  for (int i = 0; i < 1000 && !accepts(port_); ++i) {  // polled, up to 10 s
    int status;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("sshd exited (is openssh-server installed?): " + read_whole(log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!accepts(port_))
    throw std::runtime_error("sshd does not accept connections: " + read_whole(log));
}

void SshServer::stop() {
  if (pid_ <= 0) return;
  // The listener and every session it forked: open connections drop as they would if the
  // node went away. Only this server's processes: other test processes run their own.
  for (pid_t p : descendants(pid_)) ::kill(p, SIGKILL);
  ::kill(pid_, SIGKILL);
  int status;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

void SshServer::pause_sessions() {
  for (pid_t p : descendants(pid_)) ::kill(p, SIGSTOP);
}

void SshServer::resume_sessions() {
  for (pid_t p : descendants(pid_)) ::kill(p, SIGCONT);
}

}  // namespace nb::test
