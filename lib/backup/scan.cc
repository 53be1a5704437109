#include "backup/scan.h"

#include <fnmatch.h>

#include <cerrno>
#include <unordered_set>

namespace nb::backup {

namespace {

std::string parent_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

class ScanVisitor final : public fs::WalkVisitor {
 public:
  ScanVisitor(Scan& scan, const std::string& root, const std::vector<std::string>& exclude)
      : scan_(scan), root_(root), exclude_(exclude) {}

  bool entry(const std::string& path, const fs::FileMeta& meta) override {
    // The node names its entries, and a node is not trusted: a name outside the walked root,
    // with "." or ".." components or empty ones, would put a file somewhere else in the
    // snapshot (and in a restore) than where it is on the node.
    if (first_ ? path != root_ : !well_formed_descendant(root_, path)) {
      error(Error("walk", path.substr(0, kMaxPathLength), EINVAL,
                  "the node named an entry outside " + root_ + " or with a malformed path"));
      return false;
    }
    // Parents before children is the walk's contract; an entry whose directory was not
    // listed before it would be read and written back but belong to no listing.
    if (!first_ && !directories_.contains(parent_of(path))) {
      error(Error("walk", path.substr(0, kMaxPathLength), EINVAL,
                  "the node listed an entry before (or without) its directory"));
      return false;
    }
    if (!first_ && excluded(path, exclude_)) return false;
    if (meta.type == fs::FileType::directory) directories_.insert(path);
    if (first_) scan_.root_indexes.push_back(scan_.entries.size());
    first_ = false;
    scan_.entries.push_back({path, meta});
    return true;
  }

  void error(const Error& error) override { scan_.problems.push_back(error); }

 private:
  Scan& scan_;
  const std::string& root_;
  const std::vector<std::string>& exclude_;
  bool first_ = true;
  std::unordered_set<std::string> directories_;  // seen so far, for the parent check
};

}  // namespace

bool well_formed_descendant(std::string_view root, std::string_view path) {
  if (path.size() > kMaxPathLength) return false;
  if (root != "/") {
    if (!path.starts_with(root) || path.size() <= root.size() + 1 || path[root.size()] != '/') {
      return false;
    }
    path.remove_prefix(root.size());
  } else if (path.size() < 2 || path[0] != '/') {
    return false;
  }
  // path is now "/a/b/c": every component non-empty, none "." or "..".
  while (!path.empty()) {
    path.remove_prefix(1);
    const auto next = path.find('/');
    const std::string_view name = path.substr(0, next);
    if (name.empty() || name == "." || name == "..") return false;
    path.remove_prefix(next == std::string_view::npos ? path.size() : next);
  }
  return true;
}

bool excluded(const std::string& path, const std::vector<std::string>& patterns) {
  const auto slash = path.find_last_of('/');
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  for (const auto& pattern : patterns) {
    const bool whole_path = pattern.find('/') != std::string::npos;
    if (whole_path ? ::fnmatch(pattern.c_str(), path.c_str(), FNM_PATHNAME) == 0
                   : ::fnmatch(pattern.c_str(), name.c_str(), 0) == 0) {
      return true;
    }
  }
  return false;
}

Result<Scan> scan_roots(fs::NodeFs& fs, const std::vector<std::string>& roots,
                        const std::vector<std::string>& exclude) {
  Scan scan;
  for (const auto& root : roots) {
    ScanVisitor visitor(scan, root, exclude);
    auto walked = fs.walk(root, visitor);
    if (walked) continue;
    // A missing or forbidden root is the node's state, reported and counted; anything else
    // (a dropped connection) means we cannot tell what exists, so nothing may be concluded.
    const int code = walked.error().code();
    if (walked.error().transient() || (code != ENOENT && code != EACCES && code != ENOTDIR)) {
      return std::unexpected(walked.error());
    }
    scan.problems.push_back(walked.error());
  }
  return scan;
}

}  // namespace nb::backup
