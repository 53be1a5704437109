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

#include "common/copy_history.h"
#include "config/config.h"

namespace nb::daemon {

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
