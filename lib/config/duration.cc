#include "config/duration.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <limits>

namespace nb::config {
namespace {

struct Unit {
  char suffix;
  std::int64_t seconds;
};

// Largest first, so format_duration picks the largest exact unit.
constexpr std::array<Unit, 4> kUnits{{{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}}};

const Unit* find_unit(char suffix) {
  for (const Unit& unit : kUnits) {
    if (unit.suffix == suffix) return &unit;
  }
  return nullptr;
}

std::unexpected<Error> duration_error(std::string_view text, std::string_view problem) {
  return fail("parse duration", "", 0, "\"" + std::string(text) + "\" " + std::string(problem));
}

Result<std::chrono::seconds> parse(std::string_view text, bool allow_zero) {
  constexpr std::string_view kExpected =
      "is not a duration (expected a whole number and a unit s, m, h or d, e.g. \"90s\", \"2h\")";
  if (text.size() < 2) return duration_error(text, kExpected);
  const Unit* unit = find_unit(text.back());
  const std::string_view digits = text.substr(0, text.size() - 1);
  // from_chars would accept a leading '-'; only plain digits are a duration.
  if (unit == nullptr || digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return duration_error(text, kExpected);
  }
  std::int64_t count = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
  if (ec != std::errc() || count > std::numeric_limits<std::int64_t>::max() / unit->seconds) {
    return duration_error(text, "is too large");
  }
  if (count == 0 && !allow_zero) return duration_error(text, "must be greater than zero");
  return std::chrono::seconds(count * unit->seconds);
}

}  // namespace

Result<std::chrono::seconds> parse_duration(std::string_view text) {
  return parse(text, false);
}

Result<std::chrono::seconds> parse_duration_allow_zero(std::string_view text) {
  return parse(text, true);
}

std::string format_duration(std::chrono::seconds duration) {
  const std::int64_t total = duration.count();
  if (total == 0) return "0s";
  for (const Unit& unit : kUnits) {
    if (total % unit.seconds == 0) return std::to_string(total / unit.seconds) + unit.suffix;
  }
  return std::to_string(total) + "s";  // unreachable: every count divides by 1s
}

}  // namespace nb::config
