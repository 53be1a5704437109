// What the daemon knows about one scheduled copy (the config's "copy") between and during its
// runs. Owned by the CopyScheduler and touched only on the event loop's thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "config/config.h"
#include "repo/copy.h"

namespace nb::daemon {

struct CopyRun {
  int64_t started_ns = 0;
  int64_t finished_ns = 0;
  bool ok = false;
  bool interrupted = false;  // the daemon stopped it; not recorded in the state dir
  std::optional<std::string> error;
  repo::CopyReport report;
};

// What survives a restart (<state_dir>/copies.json): enough to schedule the next copy one
// interval after the last, to show the last result, and to know a failure was reported.
struct CopyHistory {
  int64_t last_success_ns = 0;
  int consecutive_failures = 0;
  std::optional<CopyRun> last_run;
};

struct CopySlot {
  CopySlot(boost::asio::io_context& io, config::CopyTarget target)
      : copy(std::move(target)), timer(io) {}

  const char* state() const {
    if (running) return "running";
    if (queued) return "queued";
    return history.consecutive_failures > 0 ? "failing" : "idle";
  }

  config::CopyTarget copy;
  boost::asio::steady_timer timer;
  uint64_t timer_generation = 0;  // a fired timer whose generation is stale is ignored
  bool queued = false;
  bool running = false;
  bool removed = false;     // by a reload while running: dropped when its copy ends
  int64_t next_run_ns = 0;  // wall clock, for status; 0 while queued or running
  CopyHistory history;
  std::shared_ptr<std::atomic<bool>> stop;  // of the running copy
};

}  // namespace nb::daemon
