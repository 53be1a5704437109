// What the daemon tells the operator after each run and at each change of state: the alarm
// warnings in the journal, the metrics textfile (written off the event loop, in order) and
// systemd's STATUS= line. The words themselves come from status_report.h.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <optional>
#include <string>

#include "nodebackupd/node_slot.h"
#include "nodebackupd/notifier.h"
#include "nodebackupd/scheduler.h"
#include "nodebackupd/status_report.h"

namespace nb::daemon {

class Reporter {
 public:
  Reporter(Notifier& notifier, boost::asio::any_io_executor writer)
      : notifier_(notifier), writer_(std::move(writer)) {}

  // One warning per alarm the node has.
  void alarms(const NodeSlot& slot) const;
  // After a run: the metrics textfile (when configured) and STATUS=, from one set of facts.
  void after_run(const DaemonFacts& facts, const Scheduler& scheduler,
                 const std::optional<std::string>& metrics_textfile);
  void status(const DaemonFacts& facts, const Scheduler& scheduler);
  // Nothing more is reported (the daemon is stopping: STOPPING=1 was the last word).
  void stop() { stopped_ = true; }

 private:
  Notifier& notifier_;
  boost::asio::any_io_executor writer_;
  bool stopped_ = false;
};

}  // namespace nb::daemon
