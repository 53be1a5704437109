#include "config/config_values.h"

#include <algorithm>
#include <climits>

#include "util/file.h"

namespace nb::config::detail {
namespace {

// The normalised form of an absolute path, or the problem with it.
std::expected<std::string, std::string> normalise_absolute_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return std::unexpected("must be an absolute path");
  if (path.find('\0') != std::string_view::npos) {
    return std::unexpected("must not contain a NUL byte");
  }
  std::string out;
  std::size_t start = 0;
  while (start < path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view component = path.substr(start, end - start);
    // "." and ".." would let two spellings name one directory, or a path escape its prefix.
    if (component == "." || component == "..") {
      return std::unexpected("must not contain \".\" or \"..\" components");
    }
    if (!component.empty()) {
      // Two appends, not "/" + component: GCC 12 at -O3 reports a false stringop-overflow
      // on the temporary.
      out += '/';
      out.append(component);
    }
    start = end + 1;
  }
  return out.empty() ? "/" : out;
}

bool is_id_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

}  // namespace

Result<std::string> read_absolute_path(const Json& value, const FieldPath& at) {
  const auto text = read_string(value, at);
  if (!text) return text;
  auto path = normalise_absolute_path(*text);
  if (!path) return at.fail(path.error());
  return std::move(*path);
}

Result<std::vector<std::string>> read_path_list(const Json& value, const FieldPath& at) {
  if (!value.is_array()) return at.fail("must be an array");
  if (value.empty()) return at.fail("must not be empty");
  std::vector<std::string> paths;
  for (std::size_t i = 0; i < value.size(); ++i) {
    auto path = read_absolute_path(value[i], at.index(i));
    if (!path) return std::unexpected(path.error());
    const auto earlier = std::find(paths.begin(), paths.end(), *path);
    if (earlier != paths.end()) {
      const auto first = static_cast<std::size_t>(earlier - paths.begin());
      return at.index(i).fail("duplicate path \"" + *path + "\" (also " + at.index(first).str() +
                              ")");
    }
    paths.push_back(std::move(*path));
  }
  return paths;
}

Result<std::string> read_node_id(const Json& value, const FieldPath& at) {
  const auto id = read_string(value, at);
  if (!id) return id;
  const bool safe = !id->empty() && id->size() <= 64 && *id != "." && *id != ".." &&
                    std::all_of(id->begin(), id->end(), is_id_char);
  if (!safe) {
    return at.fail("must be 1 to 64 characters from A-Z a-z 0-9 _ . - and not \".\" or \"..\"");
  }
  return id;
}

Result<uint64_t> read_byte_size(const Json& value, const FieldPath& at) {
  constexpr const char* kWhat =
      "must be a byte count such as 1073741824, \"512M\", \"10G\" or \"1T\"";
  if (value.is_number_unsigned()) {
    if (value.get<uint64_t>() == 0) return at.fail("must be more than 0");
    return value.get<uint64_t>();
  }
  if (!value.is_string()) return at.fail(kWhat);
  const std::string text = value.get<std::string>();
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  std::string unit = text.substr(digits);
  if (unit.size() == 3 && unit.ends_with("iB")) unit.resize(1);  // "10GiB" is "10G"
  if (digits == 0 || digits > 12 || unit.size() > 1) return at.fail(kWhat);
  uint64_t n = std::stoull(text.substr(0, digits));
  const std::string units = "KMGT";
  if (!unit.empty()) {
    const auto power = units.find(unit[0]);
    if (power == std::string::npos) return at.fail(kWhat);
    n <<= 10 * (power + 1);  // at most 12 digits and 2^40: no overflow
  }
  if (n == 0) return at.fail("must be more than 0");
  return n;
}

Result<std::vector<std::string>> read_exclude_files(const Json& value, const FieldPath& at) {
  auto paths = read_path_list(value, at);
  if (!paths) return std::unexpected(paths.error());
  std::vector<std::string> patterns;
  for (size_t i = 0; i < paths->size(); ++i) {
    auto text = read_file((*paths)[i]);
    if (!text)
      return at.index(i).fail("cannot read " + (*paths)[i] + ": " + text.error().message());
    for (std::string line : text_lines(*text)) {
      // gitignore: trailing blanks go, unless the last one is quoted with a backslash.
      while (!line.empty() && (line.back() == ' ' || line.back() == '\t') &&
             !(line.size() > 1 && line[line.size() - 2] == '\\')) {
        line.pop_back();
      }
      if (line.empty() || line.front() == '#') continue;
      patterns.push_back(std::move(line));
    }
  }
  return patterns;
}

Result<void> read_exclude_from(const JsonObject& object, NodeConfig& out) {
  if (auto r = optional_field(object, "exclude_from", out.exclude_from, read_path_list); !r) {
    return r;
  }
  return optional_field(object, "exclude_from", out.exclude_from_patterns, read_exclude_files);
}

Result<Retention> read_retention(const Json& value, const FieldPath& at, const Retention& base) {
  const auto object =
      open_object(value, at, {"last", "hourly", "daily", "weekly", "monthly", "yearly"});
  if (!object) return std::unexpected(object.error());
  Retention retain = base;
  const auto count = int_in(0, INT_MAX);
  const auto read = run_steps({
      [&] { return optional_field(*object, "last", retain.last, count); },
      [&] { return optional_field(*object, "hourly", retain.hourly, count); },
      [&] { return optional_field(*object, "daily", retain.daily, count); },
      [&] { return optional_field(*object, "weekly", retain.weekly, count); },
      [&] { return optional_field(*object, "monthly", retain.monthly, count); },
      [&] { return optional_field(*object, "yearly", retain.yearly, count); },
  });
  if (!read) return std::unexpected(read.error());
  return retain;
}

std::string join_path(const std::string& dir, std::string_view name) {
  return (dir.ends_with('/') ? dir : dir + "/") + std::string(name);
}

}  // namespace nb::config::detail
