// The walk phase of a job: every configured root walked through the node's NodeFs, excluded
// names dropped, per-entry problems collected as warnings.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fs/node_fs.h"
#include "util/error.h"

namespace nb::backup {

struct ScannedEntry {
  std::string path;
  fs::FileMeta meta;
};

struct Scan {
  // Parents before children; the root of each walk is an entry too.
  std::vector<ScannedEntry> entries;
  std::vector<size_t> root_indexes;  // index in `entries` of each root that was found
  std::vector<Error> problems;       // entries that could not be examined, missing roots
};

// Longer paths than Linux's PATH_MAX are not real files: a node that sends one is broken.
inline constexpr size_t kMaxPathLength = 4096;

// Whether `path` lies strictly below `root` and is written canonically: "/"-separated
// components, none empty, "." or "..".
bool well_formed_descendant(std::string_view root, std::string_view path);

// Glob patterns (fnmatch): a pattern without '/' matches a name anywhere, one with '/' the
// whole absolute path.
bool excluded(const std::string& path, const std::vector<std::string>& patterns);

// Fails only on an error that makes the whole walk untrustworthy (node unreachable); a root
// that does not exist or cannot be read is a problem, not a failure.
Result<Scan> scan_roots(fs::NodeFs& fs, const std::vector<std::string>& roots,
                        const std::vector<std::string>& exclude);

}  // namespace nb::backup
