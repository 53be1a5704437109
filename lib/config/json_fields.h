// Internal to lib/config: reading typed fields out of parsed JSON so that every failure names
// the field it is about ("nodes[1].port: must be an integer from 1 to 65535"). Every reader checks
// the JSON type before touching the value, so nlohmann's type_error is never thrown.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace nb::config::detail {

using Json = nlohmann::json;

// Where a value sits in the config file ("nodes[1].port"), and which file that is, so that any
// reader can build the one error the user sees.
class FieldPath {
 public:
  explicit FieldPath(const std::string& source) : source_(&source) {}

  FieldPath key(std::string_view name) const;  // "nodes[1]" -> "nodes[1].port"
  FieldPath index(std::size_t i) const;        // "nodes" -> "nodes[1]"
  const std::string& str() const { return path_; }

  // fail("config", <source>, 0, "<path>: <problem>"); just the problem for the root object.
  std::unexpected<Error> fail(std::string_view problem) const;

 private:
  FieldPath(const std::string* source, std::string path)
      : source_(source), path_(std::move(path)) {}

  const std::string* source_;  // the caller's string outlives every FieldPath made from it
  std::string path_;
};

// Runs the steps in order and returns the first failure. Stands in for expected::and_then, which
// GCC 12's <expected> lacks, so that a parser reads as a flat list of fields.
Result<void> run_steps(std::initializer_list<std::function<Result<void>()>> steps);

// A JSON object of the config whose keys have all been checked against the allowed ones.
struct JsonObject {
  const Json& json;
  FieldPath at;
};

// Fails unless `value` is an object whose keys are all in `allowed`: a misspelt key is an error
// rather than a setting silently left at its default.
Result<JsonObject> open_object(const Json& value, const FieldPath& at,
                               const std::vector<std::string_view>& allowed);

// Reads object[key] with `read` (a Result<T>(const Json&, const FieldPath&)) into `out`; when
// the key is absent, `out` keeps the default it already holds.
template <typename T, typename Read>
Result<void> optional_field(const JsonObject& object, std::string_view key, T& out, Read read) {
  const auto it = object.json.find(key);
  if (it == object.json.end()) return {};
  auto value = read(*it, object.at.key(key));
  if (!value) return std::unexpected(std::move(value.error()));
  out = std::move(*value);
  return {};
}

// As optional_field, but an absent key is an error ("<path>: is required").
template <typename T, typename Read>
Result<void> required_field(const JsonObject& object, std::string_view key, T& out, Read read) {
  if (!object.json.contains(key)) return object.at.key(key).fail("is required");
  return optional_field(object, key, out, std::move(read));
}

Result<std::string> read_string(const Json& value, const FieldPath& at);
// A single token such as a host or user name: non-empty, no whitespace, no leading '-' (so it can
// never be taken for an option when handed to ssh).
Result<std::string> read_token(const Json& value, const FieldPath& at);
// An array of non-empty strings.
Result<std::vector<std::string>> read_string_list(const Json& value, const FieldPath& at);
Result<bool> read_bool(const Json& value, const FieldPath& at);
Result<std::chrono::seconds> read_duration(const Json& value, const FieldPath& at);
Result<std::chrono::seconds> read_duration_allow_zero(const Json& value, const FieldPath& at);
Result<int> read_int(const Json& value, const FieldPath& at, int min, int max);

// A reader for integers in [min, max], to pass to optional_field.
inline auto int_in(int min, int max) {
  return
      [min, max](const Json& value, const FieldPath& at) { return read_int(value, at, min, max); };
}

// "\"a\"", "\"a\" or \"b\"", "\"a\", \"b\" or \"c\"": for "must be ..." messages.
std::string quoted_alternatives(const std::vector<std::string_view>& names);

// A reader for one of a fixed set of strings, each mapped to an enum value.
template <typename E>
auto one_of(std::vector<std::pair<std::string_view, E>> choices) {
  return [choices = std::move(choices)](const Json& value, const FieldPath& at) -> Result<E> {
    const auto text = read_string(value, at);
    if (!text) return std::unexpected(text.error());
    std::vector<std::string_view> names;
    for (const auto& [name, choice] : choices) {
      if (*text == name) return choice;
      names.push_back(name);
    }
    return at.fail("must be " + quoted_alternatives(names));
  };
}

}  // namespace nb::config::detail
