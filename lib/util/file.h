// Small POSIX file helpers shared by the store, the repository and restore. Every durable
// write in the project goes through write_file_durably(): temp → write → fsync → rename →
// fsync the directory, so a crash leaves either the old file or the new one, never a torn one.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/error.h"

namespace nb {

// Owns a file descriptor; closes it on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// Writes all of `data` to `fd`, retrying short writes and EINTR. `path` names the file in errors.
Result<> write_all(int fd, std::string_view data, const std::string& path);

Result<std::string> read_file(const std::string& path);

// The lines of a text file's content, without their "\n" or "\r\n" (files an operator writes:
// exclude lists, header files).
std::vector<std::string> text_lines(std::string_view text);

// Replaces `path` atomically and durably with `data`, created with `mode`.
Result<> write_file_durably(const std::string& path, std::string_view data, mode_t mode = 0600);

// The same for a file written in pieces, so a large one (the hash store of a million entries
// is ~175 MB of text) is never held in memory whole. Nothing is visible at `path` until
// commit(); destroyed uncommitted, it removes its temporary file.
class DurableFile {
 public:
  static Result<DurableFile> create(const std::string& path, mode_t mode = 0600);
  DurableFile(DurableFile&& other) noexcept;
  DurableFile& operator=(DurableFile&&) = delete;
  ~DurableFile();

  Result<> write(std::string_view data);
  // fsync, rename over `path`, fsync its directory.
  Result<> commit();
  // The same with another final path, on the same filesystem (its directory must exist).
  Result<> commit_as(const std::string& path);

 private:
  DurableFile(std::string path, std::string temp, UniqueFd fd)
      : path_(std::move(path)), temp_(std::move(temp)), fd_(std::move(fd)) {}

  std::string path_;
  std::string temp_;  // empty once committed or moved from
  UniqueFd fd_;
};

Result<> fsync_dir(const std::string& dir);

// Names in a directory, without "." and "..", in no particular order. A missing directory is
// empty.
Result<std::vector<std::string>> list_directory(const std::string& dir);

// mkdir -p; directories it creates get `mode`.
Result<> make_dirs(const std::string& path, mode_t mode = 0700);

// "/a/b/c" → "/a/b"; "/a" → "/"; "c" → ".".
std::string parent_path(const std::string& path);

// A unique suffix for temporary file names: pid and a process-wide counter.
std::string temp_suffix();

}  // namespace nb
