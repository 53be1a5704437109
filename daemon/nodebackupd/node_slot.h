// What the daemon knows about one configured node between and during its runs. Owned by the
// Scheduler and touched only on the event loop's thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "backup/backup_job.h"
#include "config/config.h"
#include "nodebackupd/health.h"

namespace nb::daemon {

struct RunRecord {
  int64_t started_ns = 0;
  int64_t finished_ns = 0;
  bool ok = false;
  bool interrupted = false;
  std::optional<std::string> error;
  repo::RunCounts counts;
  std::string snapshot_id;
  // A failure that will recur until someone acts (host key changed, authentication refused,
  // corrupt input): retried at the node's interval, not hammered with the backoff.
  bool permanent = false;
  bool from_snapshot = false;  // read back from the repository, not run by this process
};

// The newest complete run of each node as its snapshot record tells it, by node id.
using LatestRuns = std::map<std::string, RunRecord>;

// Told about a run a client waits for: progress events, then one last event with the result.
using RunListener = std::function<void(const nlohmann::json& event, bool last)>;

struct NodeSlot {
  NodeSlot(boost::asio::io_context& io, config::NodeConfig node)
      : config(std::move(node)), timer(io) {}

  const char* state() const {
    if (running) return "running";
    if (queued) return "queued";
    return consecutive_failures > 0 ? "failing" : "idle";
  }

  config::NodeConfig config;
  boost::asio::steady_timer timer;
  uint64_t timer_generation = 0;  // a fired timer whose generation is stale is ignored
  bool queued = false;
  bool running = false;
  bool removed = false;          // by a reload while running: dropped when its job ends
  int64_t next_run_ns = 0;       // wall clock, for status; 0 while queued or running
  int64_t last_finished_ns = 0;  // of the newest snapshot or run, for the schedule
  int consecutive_failures = 0;
  std::optional<RunRecord> last_run;
  int64_t last_success_ns = 0;
  int64_t watching_since_ns = 0;  // when this process took the node on (for stale)
  uint64_t runs_ok = 0;
  uint64_t runs_failed = 0;
  std::shared_ptr<std::atomic<bool>> stop;  // of the running job
  backup::Progress progress;                // of the running job
  std::vector<RunListener> listeners;
  NodeHealth health;
  // What the node's transport cannot capture, as the last run found (fs::missing_metadata).
  std::string cannot_capture;
};

}  // namespace nb::daemon
