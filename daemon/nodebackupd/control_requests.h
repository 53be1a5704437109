// The control socket's commands (DESIGN §7): status, run, diff, reload, metrics. They see the
// daemon only through DaemonControl, so a command cannot reach into the daemon's lifecycle,
// its pools or its store.
#pragma once

#include <functional>
#include <memory>

#include "backup/backup_job.h"
#include "common/control_request.h"
#include "config/config.h"
#include "nodebackupd/control_server.h"
#include "nodebackupd/scheduler.h"
#include "nodebackupd/status_report.h"

namespace nb::daemon {

// What a control request may ask of the daemon. Called on the event loop; callbacks too.
class DaemonControl {
 public:
  virtual ~DaemonControl() = default;
  virtual const config::Config& config() const = 0;
  virtual DaemonFacts facts() const = 0;
  virtual Scheduler& scheduler() = 0;
  virtual void reload(std::function<void(Result<>)> done) = 0;
  // A dry run of the node's job, off the event loop.
  virtual void diff(const config::NodeConfig& node,
                    std::function<void(const backup::JobResult&)> done) = 0;
  // Sends a test event to the named target (all when empty); `done` gets the reply.
  virtual void notify_test(const std::optional<std::string>& target,
                           std::function<void(nlohmann::json)> done) = 0;
};

class ControlRequests {
 public:
  explicit ControlRequests(DaemonControl& daemon) : daemon_(daemon) {}
  void handle(const ControlRequest& request, std::shared_ptr<ReplyChannel> reply);

 private:
  void run(const ControlRequest& request, std::shared_ptr<ReplyChannel> reply);
  void diff(const ControlRequest& request, std::shared_ptr<ReplyChannel> reply);

  DaemonControl& daemon_;
};

}  // namespace nb::daemon
