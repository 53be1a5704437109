// The metadata stream of GNU find over an exec channel: one record per entry, NUL-separated,
// so any file name (spaces, newlines, non-UTF-8 bytes) arrives intact.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "fs/node_fs.h"

namespace nb::fs::ssh {

// The -printf format of one record: type, mode, uid, gid, size, mtime, ctime, inode, link
// count, device, 512-byte blocks, then the path and the symlink target, each NUL-terminated.
inline constexpr const char* kFindFormat = "%y %m %U %G %s %T@ %C@ %i %n %D %b\\0%p\\0%l\\0";

// Fed the stream in chunks of any size; calls `on_entry` per complete record.
class FindRecordParser {
 public:
  using Callback = std::function<Result<>(const std::string& path, const FileMeta& meta)>;
  explicit FindRecordParser(Callback on_entry) : on_entry_(std::move(on_entry)) {}

  Result<> feed(std::string_view data);
  bool complete() const { return fields_.empty() && partial_.empty(); }

 private:
  Result<> record();

  Callback on_entry_;
  std::string partial_;
  std::vector<std::string> fields_;  // the NUL-terminated parts of the record so far
};

}  // namespace nb::fs::ssh
