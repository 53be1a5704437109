// The repository_space alarm: the free space of the repository's filesystem below the
// configured floor (bytes or percent), or shrinking at a rate that empties it within
// days_left. The trend is the straight line through the samples of the last week (kept in
// memory: a restart starts it afresh); it needs an hour of samples before it says anything.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>

#include "config/config.h"
#include "nodebackupd/health.h"
#include "util/error.h"

namespace nb::daemon {

struct SpaceSample {
  uint64_t free_bytes = 0;  // available to the daemon's user (f_bavail)
  uint64_t total_bytes = 0;
};

// statvfs of the filesystem holding `path`. Blocking: called off the event loop.
Result<SpaceSample> measure_space(const std::string& path);

class SpaceWatch {
 public:
  // Adds the sample; returns the alarm when it should be raised, nullopt when not.
  std::optional<Alarm> check(const config::RepositorySpace& limits, const SpaceSample& sample,
                             int64_t now_ns);
  const std::optional<SpaceSample>& last() const { return last_; }

 private:
  std::deque<std::pair<int64_t, uint64_t>> samples_;  // (time, free bytes), oldest first
  std::optional<SpaceSample> last_;
  int64_t raised_since_ns_ = 0;
};

}  // namespace nb::daemon
