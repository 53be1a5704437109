// Durations as written in the config file: a whole number and one unit, "90s", "5m", "2h", "1d".
// Deliberately no fractions, signs or compound forms ("1h30m"): one obvious way to write each
// value keeps configs greppable and errors unambiguous.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "util/error.h"

namespace nb::config {

// "1s" "90s" "5m" "2h" "1d" -> seconds. Anything else, zero included, is an error whose detail
// quotes the text and says what was expected.
Result<std::chrono::seconds> parse_duration(std::string_view text);

// As parse_duration, but also accepts zero ("0s", "0m"): for settings such as jitter where zero
// means "off" rather than a mistake.
Result<std::chrono::seconds> parse_duration_allow_zero(std::string_view text);

// The inverse of parse_duration, in the largest unit that divides exactly: 7200s -> "2h",
// 90s -> "90s", 0s -> "0s".
std::string format_duration(std::chrono::seconds duration);

}  // namespace nb::config
