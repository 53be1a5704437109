// A real OpenSSH server for the remote-node tests: sshd -D on 127.0.0.1 at a free high port,
// with throw-away host and user keys, logging in as a dedicated unprivileged test user. Started
// once per test process on first use and stopped (by PID) when the process exits.
#pragma once

#include <map>
#include <string>
#include <utility>

#include "fs/ssh/ssh_connection.h"

namespace nb::test {

class SshServer {
 public:
  static SshServer& instance();
  // A second server whose sessions find no programs (PATH points nowhere): a node without
  // GNU find and tar, for the exec transport's fallback to SFTP.
  static SshServer& without_tools();
  // A third that re-keys the connection after every 256 KiB (sshd's RekeyLimit), so a long
  // transfer goes through many key exchanges.
  static SshServer& rekeying();
  // A fourth whose sessions find a hostile `find` and `tar` first on PATH
  // (tests/support/hostile/hostile_tool.py): set_hostile_mode() picks how they misbehave.
  static SshServer& hostile();
  void set_hostile_mode(const std::string& mode);
  // A fifth logging in as kHeavyUser, whose login shell is bash with start-up files that
  // print to stdout and stderr, as a real user's ~/.bashrc (pyenv, cargo, a banner) does.
  static SshServer& heavy_shell();
  // A sixth logging in as root (with this server's own key only), for writing onto the node
  // what only root may: owners, file capabilities, device nodes (restore --to-node).
  static SshServer& as_root();

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  // A target that logs in as the test user, with the server's key already in known_hosts.
  fs::ssh::SshTarget target() const;
  // The same, through a TCP proxy on 127.0.0.1 that delays each direction by rtt_ms / 2
  // (tests/support/net/delay_proxy.py), as a long link does. Started on first use.
  fs::ssh::SshTarget target_via_delay(int rtt_ms);
  std::string host_public_key() const;  // "ssh-ed25519 AAAA…"
  void stop();                          // kills sshd (to test a node that goes away)
  void start();                         // (re)starts it on the same port
  // Freezes every open session (SIGSTOP), as a hung node would be: connected, never answering.
  void pause_sessions();
  void resume_sessions();

  static constexpr const char* kUser = "nbtest";
  static constexpr const char* kHeavyUser = "nbheavy";

 private:
  explicit SshServer(const std::string& extra_config, std::string user = kUser);
  ~SshServer();
  void create_keys_and_config(const std::string& extra_config);

  std::string dir_;
  int port_ = 0;
  int pid_ = -1;
  std::string tools_dir_;  // hostile() only
  std::string user_;
  std::map<int, std::pair<int, int>> proxies_;  // rtt_ms → (port, pid)
};

}  // namespace nb::test
