// Internal to lib/config: config text to JSON, with syntax errors located by line and column.
#pragma once

#include <string>
#include <string_view>

#include "config/json_fields.h"

namespace nb::config::detail {

// Parses `text`; a syntax error becomes fail("config", source, 0, "line L column C: <reason>").
Result<Json> parse_json_text(std::string_view text, const std::string& source);

}  // namespace nb::config::detail
