// What the daemon tells about itself: the `status` reply (DESIGN §7), the one-line systemd
// STATUS=, and the Prometheus metrics. Pure functions of the daemon's state, built on the
// event loop.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "nodebackupd/copy_slot.h"
#include "nodebackupd/health.h"
#include "nodebackupd/scheduler.h"
#include "nodebackupd/space_watch.h"
#include "nodebackupd/target_sender.h"
#include "store/hash_store.h"

namespace nb::daemon {

// A scheduled copy as status and metrics show it: a CopySlot's data, without its timer.
struct CopyFacts {
  config::CopyTarget copy;
  std::string state;
  int64_t next_run_ns = 0;
  CopyHistory history;
};

struct DaemonFacts {
  std::string config_path;
  int64_t started_ns = 0;
  store::StoreStats store;
  std::optional<std::string> last_node;  // the node that finished a run last
  std::vector<TargetStats> notify;       // each notification target, in the config's order
  std::map<std::string, Alarm> repository_alarms;
  std::optional<SpaceSample> repository_space;  // when repository_space is checked
  std::vector<CopyFacts> copies;                // in name order
};

nlohmann::json status_json(const DaemonFacts& facts, const Scheduler& scheduler);

// "3 nodes, 1 running, last: 02_node ok, 0 changed"
std::string status_line(const DaemonFacts& facts, const Scheduler& scheduler);

// Prometheus text exposition format 0.0.4.
std::string metrics_text(const DaemonFacts& facts, const Scheduler& scheduler);

}  // namespace nb::daemon
