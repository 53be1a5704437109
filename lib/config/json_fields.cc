#include "config/json_fields.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdint>

#include "config/duration.h"

namespace nb::config::detail {
namespace {

// The duration parser's detail already quotes the text and says what was wrong; it only lacks
// the field.
Result<std::chrono::seconds> read_duration_with(
    const Json& value, const FieldPath& at,
    Result<std::chrono::seconds> (*parse)(std::string_view text)) {
  const auto text = read_string(value, at);
  if (!text) return std::unexpected(text.error());
  auto duration = parse(*text);
  if (!duration) return at.fail(duration.error().detail());
  return duration;
}

}  // namespace

FieldPath FieldPath::key(std::string_view name) const {
  return FieldPath(source_, path_.empty() ? std::string(name) : path_ + "." + std::string(name));
}

FieldPath FieldPath::index(std::size_t i) const {
  return FieldPath(source_, path_ + "[" + std::to_string(i) + "]");
}

std::unexpected<Error> FieldPath::fail(std::string_view problem) const {
  std::string detail = path_.empty() ? std::string(problem) : path_ + ": " + std::string(problem);
  return nb::fail("config", *source_, 0, std::move(detail));
}

Result<void> run_steps(std::initializer_list<std::function<Result<void>()>> steps) {
  for (const auto& step : steps) {
    if (auto done = step(); !done) return done;
  }
  return {};
}

Result<JsonObject> open_object(const Json& value, const FieldPath& at,
                               const std::vector<std::string_view>& allowed) {
  if (!value.is_object()) return at.fail("must be an object");
  for (const auto& [key, unused] : value.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return at.key(key).fail("unknown key");
    }
  }
  return JsonObject{value, at};
}

Result<std::string> read_string(const Json& value, const FieldPath& at) {
  if (!value.is_string()) return at.fail("must be a string");
  return value.get<std::string>();
}

Result<std::string> read_token(const Json& value, const FieldPath& at) {
  auto text = read_string(value, at);
  if (!text) return text;
  if (text->empty()) return at.fail("must not be empty");
  const auto is_space = [](unsigned char c) { return std::isspace(c) != 0; };
  if (std::any_of(text->begin(), text->end(), is_space)) {
    return at.fail("must not contain whitespace");
  }
  if (text->front() == '-') return at.fail("must not start with '-'");
  return text;
}

Result<bool> read_bool(const Json& value, const FieldPath& at) {
  if (!value.is_boolean()) return at.fail("must be true or false");
  return value.get<bool>();
}

Result<std::vector<std::string>> read_string_list(const Json& value, const FieldPath& at) {
  if (!value.is_array()) return at.fail("must be an array");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    auto text = read_string(value[i], at.index(i));
    if (!text) return std::unexpected(text.error());
    if (text->empty()) return at.index(i).fail("must not be empty");
    out.push_back(std::move(*text));
  }
  return out;
}

Result<std::chrono::seconds> read_duration(const Json& value, const FieldPath& at) {
  return read_duration_with(value, at, parse_duration);
}

Result<std::chrono::seconds> read_duration_allow_zero(const Json& value, const FieldPath& at) {
  return read_duration_with(value, at, parse_duration_allow_zero);
}

Result<int> read_int(const Json& value, const FieldPath& at, int min, int max) {
  const std::string problem = max == INT_MAX ? "must be an integer >= " + std::to_string(min)
                                             : "must be an integer from " + std::to_string(min) +
                                                   " to " + std::to_string(max);
  if (!value.is_number_integer()) return at.fail(problem);
  // Unsigned JSON numbers may not fit in int64_t, so compare them as unsigned.
  if (value.is_number_unsigned()) {
    const auto number = value.get<std::uint64_t>();
    if (number > static_cast<std::uint64_t>(max) || (min > 0 && number < std::uint64_t(min))) {
      return at.fail(problem);
    }
    return static_cast<int>(number);
  }
  const auto number = value.get<std::int64_t>();
  if (number < min || number > max) return at.fail(problem);
  return static_cast<int>(number);
}

std::string quoted_alternatives(const std::vector<std::string_view>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += "\"" + std::string(names[i]) + "\"";
  }
  return out;
}

}  // namespace nb::config::detail
