#include "nodebackupd/space_watch.h"

#include <sys/statvfs.h>

#include <cerrno>

#include <fmt/format.h>

namespace nb::daemon {

namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kTrendWindow = 7 * 24 * 3600 * kSecond;
constexpr int64_t kTrendMinimum = 3600 * kSecond;
constexpr size_t kMaxSamples = 2048;

// Days until the free space reaches zero at the rate it fell over the samples; nullopt when
// it did not fall or the samples span too little time to tell.
std::optional<double> days_left(const std::deque<std::pair<int64_t, uint64_t>>& samples) {
  if (samples.size() < 2) return std::nullopt;
  const auto& [t0, free0] = samples.front();
  const auto& [t1, free1] = samples.back();
  if (t1 - t0 < kTrendMinimum || free1 >= free0) return std::nullopt;
  const double per_ns = static_cast<double>(free0 - free1) / static_cast<double>(t1 - t0);
  return static_cast<double>(free1) / per_ns / (86400.0 * kSecond);
}

}  // namespace

Result<SpaceSample> measure_space(const std::string& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) return errno_error("statvfs", path, errno);
  return SpaceSample{static_cast<uint64_t>(st.f_bavail) * st.f_frsize,
                     static_cast<uint64_t>(st.f_blocks) * st.f_frsize};
}

std::optional<Alarm> SpaceWatch::check(const config::RepositorySpace& limits,
                                       const SpaceSample& sample, int64_t now_ns) {
  last_ = sample;
  samples_.emplace_back(now_ns, sample.free_bytes);
  while (samples_.size() > kMaxSamples ||
         (!samples_.empty() && now_ns - samples_.front().first > kTrendWindow)) {
    samples_.pop_front();
  }
  std::string why;
  const double percent = sample.total_bytes == 0 ? 100.0
                                                 : 100.0 * static_cast<double>(sample.free_bytes) /
                                                       static_cast<double>(sample.total_bytes);
  if (limits.min_free_bytes > 0 && sample.free_bytes < limits.min_free_bytes) {
    why = fmt::format("{} free, below min_free {}", format_bytes(sample.free_bytes),
                      format_bytes(limits.min_free_bytes));
  } else if (limits.min_free_percent > 0 && percent < limits.min_free_percent) {
    why = fmt::format("{:.1f}% free ({}), below min_free_percent {}%", percent,
                      format_bytes(sample.free_bytes), limits.min_free_percent);
  } else if (const auto days = days_left(samples_);
             limits.days_left > 0 && days && *days < limits.days_left) {
    why = fmt::format("{} free, full in {:.1f} days at the current rate (days_left {})",
                      format_bytes(sample.free_bytes), *days, limits.days_left);
  }
  if (why.empty()) {
    raised_since_ns_ = 0;
    return std::nullopt;
  }
  if (raised_since_ns_ == 0) raised_since_ns_ = now_ns;
  return Alarm{kRepositorySpace, 1, {why}, raised_since_ns_};
}

}  // namespace nb::daemon
