#include "util/clock.h"

#include <time.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <ctime>

namespace nb {

int64_t now_ns() {
  timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

std::string rfc3339(int64_t ns) {
  const time_t secs = static_cast<time_t>(ns / 1'000'000'000);
  tm utc;
  ::gmtime_r(&secs, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

std::optional<int64_t> parse_decimal_seconds(std::string_view text) {
  const auto dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  int64_t secs = 0;
  const auto [end, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), secs);
  if (ec != std::errc{} || end != whole.data() + whole.size()) return std::nullopt;
  // Beyond this a time in nanoseconds no longer fits an int64 (the year 2262).
  constexpr int64_t kMaxSecs = INT64_MAX / 1'000'000'000 - 1;
  if (secs > kMaxSecs || secs < -kMaxSecs) return std::nullopt;
  const std::string_view digits = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  int64_t ns = 0;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (digits[i] < '0' || digits[i] > '9') return std::nullopt;
    if (i < 9) ns = ns * 10 + (digits[i] - '0');
  }
  for (size_t i = digits.size(); i < 9; ++i) ns *= 10;
  return secs * 1'000'000'000 + (text.starts_with('-') ? -ns : ns);
}

}  // namespace nb
