#include "backup/scan.h"

#include <fnmatch.h>

#include <cerrno>

namespace nb::backup {

namespace {

class ScanVisitor final : public fs::WalkVisitor {
 public:
  ScanVisitor(Scan& scan, const std::vector<std::string>& exclude)
      : scan_(scan), exclude_(exclude) {}

  bool entry(const std::string& path, const fs::FileMeta& meta) override {
    if (!first_ && excluded(path, exclude_)) return false;
    if (first_) scan_.root_indexes.push_back(scan_.entries.size());
    first_ = false;
    scan_.entries.push_back({path, meta});
    return true;
  }

  void error(const Error& error) override { scan_.problems.push_back(error); }

 private:
  Scan& scan_;
  const std::vector<std::string>& exclude_;
  bool first_ = true;
};

}  // namespace

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
    ScanVisitor visitor(scan, exclude);
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
