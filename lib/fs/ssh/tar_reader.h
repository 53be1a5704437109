// A streaming reader of the tar archives GNU tar writes with --format=posix: ustar headers,
// pax extended headers (exact names, nanosecond times, large sizes) and GNU long names. Written
// by hand because none of the project's dependencies reads tar; it handles only what the
// exec transport asks tar to produce.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "fs/node_fs.h"

namespace nb::fs::ssh {

class TarReader {
 public:
  struct Callbacks {
    // A member begins; `meta` carries type, mode, owner, size, mtime (and ctime if given).
    std::function<Result<>(const std::string& path, const FileMeta& meta)> begin;
    std::function<Result<>(std::string_view chunk)> data;
    std::function<Result<>()> end;
  };
  explicit TarReader(Callbacks callbacks) : cb_(std::move(callbacks)) {}

  Result<> feed(std::string_view chunk);
  // True once the end-of-archive blocks were seen.
  bool finished() const { return state_ == State::done; }
  // How many bytes of the last chunk fed came after the end-of-archive blocks (not read).
  size_t unused() const { return unused_; }

 private:
  enum class State { header, pax, longname, data, padding, done };
  Result<> header(const char* block);
  void apply_pax(std::string_view records);

  Callbacks cb_;
  State state_ = State::header;
  std::string block_;  // a partial 512-byte block
  uint64_t remaining_ = 0;
  uint64_t padding_ = 0;
  std::string extended_;  // pax or long-name payload being collected
  std::string pax_path_;
  FileMeta pax_meta_;
  bool pax_has_size_ = false, pax_has_mtime_ = false, pax_has_ctime_ = false;
  int zero_blocks_ = 0;
  size_t unused_ = 0;
};

}  // namespace nb::fs::ssh
