// Test helpers for building and inspecting file trees on the local disk.
#pragma once

#include <cstdint>
#include <string>

namespace nb::test {

// A fresh directory under /tmp, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Writes `content` to `path` (creating parent directories) and sets its mtime `age_s` seconds
// in the past, so the file is not "racy" unless a test wants it to be.
void write_file(const std::string& path, const std::string& content, int64_t age_s = 3600);
void append_file(const std::string& path, const std::string& content);
std::string read_whole(const std::string& path);
void set_mtime_age(const std::string& path, int64_t age_s);
// Sum of the sizes of the regular files below `dir` (how repository growth is measured).
uint64_t tree_bytes(const std::string& dir);
// A listing of `dir`: one line per entry with type, mode, size, mtime, content or link target.
std::string describe_tree(const std::string& dir);
// `n` bytes that do not compress, the same for the same seed.
std::string random_bytes(size_t n, uint32_t seed);

}  // namespace nb::test
