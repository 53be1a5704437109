// The walk phase of a job: every configured root walked through the node's NodeFs, excluded
// names dropped, per-entry problems collected as warnings.
#pragma once

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backup/exclude.h"
#include "fs/node_fs.h"
#include "store/node_entries.h"
#include "util/error.h"
#include "util/string_arena.h"

namespace nb::backup {

// The walked entries, held compactly: a run keeps one per file of the node for its whole
// length, so a 100,000-file node is 100,000 of these next to the hash store. Paths live in an
// arena, the metadata in 64 bytes (fs::FileMeta is 88, and a std::string path 32 more plus
// its own allocation), in a deque so that growing never copies what is there.
class Scan {
 public:
  size_t size() const { return items_.size(); }
  std::string_view path(size_t i) const { return items_[i].path; }
  FileType type(size_t i) const { return items_[i].type; }
  uint64_t file_size(size_t i) const { return items_[i].size; }
  // Entry `i`'s metadata as the walk gave it, or as set_meta() replaced it.
  fs::FileMeta meta(size_t i) const;

  // `path` is copied unless `held` is given: the same bytes, held elsewhere for as long as
  // the scan (the hash store's key for the file).
  void add(std::string_view path, const fs::FileMeta& meta, std::string_view held = {});
  // A file was read: what its listing records is the metadata after the read.
  void set_meta(size_t i, const fs::FileMeta& meta);
  // Drops every entry `keep` says false for (never a root), keeping the order.
  void filter(const std::vector<bool>& keep);

  // Parents before children; the root of each walk is an entry too.
  std::vector<size_t> root_indexes;  // index of each root that was found
  std::vector<Error> problems;       // entries that could not be examined, missing roots

 private:
  struct Item {
    std::string_view path;  // in paths_
    uint64_t size = 0;
    int64_t mtime_ns = 0;
    int64_t ctime_ns = 0;
    uint64_t inode = 0;
    uint32_t mode = 0;
    uint32_t uid = 0;
    uint32_t gid = 0;
    FileType type = FileType::unknown;
    bool sparse = false;
  };
  struct Links {
    size_t index;
    uint64_t dev;
    uint32_t nlink;
  };
  void assign(Item& item, const fs::FileMeta& meta);

  std::deque<Item> items_;
  StringArena paths_;
  // Symlinks' targets, by entry index (ascending: the walk appends).
  std::vector<std::pair<size_t, std::string_view>> link_targets_;
  // Hard-link data of the entries (not directories) with more than one link, by entry index:
  // few files have them, so they cost nothing per entry.
  std::vector<Links> links_;
};

inline constexpr size_t kMaxScanEntries = 0xffff'fffe;

// Longer paths than Linux's PATH_MAX are not real files: a node that sends one is broken.
inline constexpr size_t kMaxPathLength = 4096;

// Whether `path` lies strictly below `root` and is written canonically: "/"-separated
// components, none empty, "." or "..".
bool well_formed_descendant(std::string_view root, std::string_view path);

// What a walk leaves out.
struct ScanRules {
  std::vector<std::string> exclude;             // gitignore-like patterns (exclude.h)
  std::optional<uint64_t> exclude_larger_than;  // regular files of more bytes than this
  // Directories on another filesystem than their root's are kept, empty (as find -xdev).
  bool one_file_system = false;
  // Names of tag files: a directory holding one keeps the tag and nothing else (as tar's
  // --exclude-tag). "CACHEDIR.TAG" counts only with the signature of the Cache Directory
  // Tagging Specification.
  std::vector<std::string> exclude_if_present;
};

// Fails only on an error that makes the whole walk untrustworthy (node unreachable); a root
// that does not exist or cannot be read is a problem, not a failure.
// `known`, when given, returns the node's hash store entries (or nullptr while they are still
// loading): a file's path found there is not copied into the scan, which then refers to the
// store's bytes, so the caller keeps what `known` returned alive as long as the scan.
using KnownPaths = std::function<const store::NodeEntries*()>;
Result<Scan> scan_roots(fs::NodeFs& fs, const std::vector<std::string>& roots,
                        const ScanRules& rules, const KnownPaths& known = {});

}  // namespace nb::backup
