#include "nodebackupd/reporter.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "util/file.h"

namespace nb::daemon {

void Reporter::alarms(const NodeSlot& slot) const {
  for (const auto& [kind, alarm] : slot.health.alarms()) {
    spdlog::warn("{}", NodeHealth::describe(slot.config.id, alarm));
  }
}

void Reporter::after_run(const DaemonFacts& facts, const Scheduler& scheduler,
                         const std::optional<std::string>& metrics_textfile) {
  if (metrics_textfile) {
    boost::asio::post(writer_, [path = *metrics_textfile, text = metrics_text(facts, scheduler)] {
      // node_exporter reads it as another user: world-readable, like its other textfiles.
      if (auto r = write_file_durably(path, text, 0644); !r) {
        spdlog::warn("metrics textfile: {}", r.error().message());
      }
    });
  }
  status(facts, scheduler);
}

void Reporter::status(const DaemonFacts& facts, const Scheduler& scheduler) {
  if (!stopped_) notifier_.status(status_line(facts, scheduler));
}

}  // namespace nb::daemon
