// Internal to lib/config: readers for the config's own kinds of value (paths, node ids, retention),
// built on the generic readers of json_fields.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/json_fields.h"

namespace nb::config::detail {

// An absolute path with no "." or ".." components and no NUL, returned normalised (repeated and
// trailing slashes removed) so that equal paths compare equal.
Result<std::string> read_absolute_path(const Json& value, const FieldPath& at);

// A non-empty array of distinct absolute paths (as read_absolute_path).
Result<std::vector<std::string>> read_path_list(const Json& value, const FieldPath& at);

// [A-Za-z0-9_.-]{1,64}, not "." or "..": ids become file and directory names in the repository.
Result<std::string> read_node_id(const Json& value, const FieldPath& at);

// A byte count: a whole number of bytes, or a string with a binary unit ("512K", "100M",
// "10G", "10GiB", "1T"), more than 0.
Result<uint64_t> read_byte_size(const Json& value, const FieldPath& at);

// An array of absolute paths of exclude files on this machine, each read now (one pattern a
// line, gitignore's format: blank and '#' lines skipped, trailing blanks dropped unless
// quoted). Returns their patterns in order; a file that cannot be read fails naming it.
Result<std::vector<std::string>> read_exclude_files(const Json& value, const FieldPath& at);

// "exclude_from" of a node or the defaults: the paths into out.exclude_from, their patterns
// into out.exclude_from_patterns.
Result<void> read_exclude_from(const JsonObject& object, NodeConfig& out);

// A retain object: the keys it gives override `base`, the others keep base's values.
Result<Retention> read_retention(const Json& value, const FieldPath& at, const Retention& base);

// "<dir>/<name>", without doubling the slash when dir is "/".
std::string join_path(const std::string& dir, std::string_view name);

}  // namespace nb::config::detail
