// nodebackupd as a real process for tests: started with a chosen environment (NOTIFY_SOCKET,
// WATCHDOG_USEC), signalled, queried over its control socket, and killed if a test leaves it
// running. Every wait polls a condition with a generous limit; none is a timing assertion.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/temp_dir.h"

namespace nb::test {

struct DaemonLaunch {
  std::string config;
  std::string socket;               // the config's control_socket
  std::vector<std::string> env;     // extra NAME=VALUE
  std::vector<std::string> prefix;  // e.g. setpriv … to run as another user
  std::vector<std::string> args;    // extra daemon arguments
};

class DaemonProcess {
 public:
  explicit DaemonProcess(DaemonLaunch launch);
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig);
  bool running();
  // Waits for the process to end; its exit code, or -1 if a signal killed it.
  int wait_exit();
  std::string log() const;  // stderr so far
  void wait_for_log(const std::string& needle);

  // One request, one reply (the first line).
  nlohmann::json request(const nlohmann::json& request);
  // Polls `status` until `done` holds for the reply; returns that reply.
  nlohmann::json wait_status(const std::function<bool(const nlohmann::json&)>& done);
  // The node's entry in a status reply (null if absent).
  static nlohmann::json node(const nlohmann::json& status, const std::string& id);

 private:
  void poll_status(const std::function<bool(const nlohmann::json&)>& done, nlohmann::json& status);

  DaemonLaunch launch_;
  TempDir io_;
  std::string err_path_;
  pid_t pid_ = -1;
  bool exited_ = false;
  int exit_code_ = -1;
};

// Polls `done` until it holds, failing the test after a generous limit.
void wait_until(const std::function<bool()>& done, const std::string& what);

}  // namespace nb::test
