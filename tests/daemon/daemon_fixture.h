// A nodebackupd under test: a temporary state directory, repository, control socket and
// source tree, a NOTIFY_SOCKET the test reads, and the daemon as a real process.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/daemon_process.h"
#include "support/notify_socket.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace nb::test {

struct DaemonFixture {
  TempDir dir;
  std::string config = dir / "config.json";
  std::string socket = dir / "control.sock";
  std::string src = dir / "src";
  std::string state = dir / "state";
  NotifySocket notify;
  std::unique_ptr<DaemonProcess> daemon;

  DaemonFixture();

  // A local node's JSON object.
  static nlohmann::json local_node(const std::string& id, const std::string& path,
                                   const std::string& interval = "1s");
  // Writes the config, built as JSON (a path with a quote in it stays a path): `nodes` is one
  // node object or an array of them, `extra` more top-level members.
  void write_config(const nlohmann::json& nodes,
                    const nlohmann::json& extra = nlohmann::json::object());

  DaemonProcess& start(std::vector<std::string> env = {}, std::vector<std::string> prefix = {});
  // Starts the daemon and waits for READY=1.
  DaemonProcess& start_ready();

  ProcessResult ctl(std::vector<std::string> args);
  nlohmann::json snapshots(const std::string& node);
};

// The node's last run counts, once it has run at least `runs` times successfully.
nlohmann::json wait_for_runs(DaemonProcess& daemon, const std::string& node, uint64_t runs);

}  // namespace nb::test
