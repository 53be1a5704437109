// Wall-clock time as the project records it: nanoseconds since the Unix epoch, shown as
// RFC 3339 UTC ("2026-11-29T10:00:00Z").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nb {

int64_t now_ns();
std::string rfc3339(int64_t ns);
// "1700000000.123456789" (seconds with a decimal fraction, as find's %T@ and pax headers write
// times) → nanoseconds; digits past the ninth are dropped.
std::optional<int64_t> parse_decimal_seconds(std::string_view text);

}  // namespace nb
