#include "config/json_syntax.h"

#include <algorithm>
#include <cstddef>

namespace nb::config::detail {
namespace {

// 1-based line and column of the character nlohmann stopped at. Its `byte` counts the characters
// read including the offending one; we compute the position ourselves rather than trust the
// wording of its message.
std::string position_of(std::string_view text, std::size_t byte) {
  const std::size_t offset = std::min(byte > 0 ? byte - 1 : 0, text.size());
  const std::string_view before = text.substr(0, offset);
  const std::size_t line =
      1 + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
  const std::size_t last_newline = before.rfind('\n');
  const std::size_t line_start = last_newline == std::string_view::npos ? 0 : last_newline + 1;
  return "line " + std::to_string(line) + " column " + std::to_string(offset - line_start + 1);
}

// nlohmann's what() is "[json.exception.parse_error.101] parse error at line 3, column 5:
// <reason>"; keep only the reason.
std::string reason_of(const Json::parse_error& error) {
  const std::string_view what = error.what();
  const std::size_t prefix = what.find("parse error");
  const std::size_t colon = what.find(": ", prefix == std::string_view::npos ? 0 : prefix);
  return std::string(colon == std::string_view::npos ? what : what.substr(colon + 2));
}

}  // namespace

Result<Json> parse_json_text(std::string_view text, const std::string& source) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& error) {
    return fail("config", source, 0, position_of(text, error.byte) + ": " + reason_of(error));
  }
}

}  // namespace nb::config::detail
