// The exec transport's tar stream, read with libarchive: GNU tar's pax archives with extended
// attributes (SCHILY.xattr records), sparse files (GNU.sparse 1.0 maps) and nanosecond times.
// libarchive pulls its input, so the stream is handed over through `next`; the reader stops
// at the end-of-archive marker and says how much of the input it used, leaving the rest (the
// last record's padding, the session's trailer) to the caller.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "fs/node_fs.h"

namespace nb::fs::ssh {

struct TarMember {
  std::string path;
  FileMeta meta;              // type, mode, owner, size (a sparse file's whole size), mtime, ctime
  std::vector<Xattr> xattrs;  // sorted by name
  uint64_t rdev = 0;          // character and block devices
};

struct TarCallbacks {
  // A member begins. Returning an error stops the read with it.
  std::function<Result<>(const TarMember& member)> begin;
  // The member's content, in order: a sparse file's holes come as zeros, up to its size.
  std::function<Result<>(std::string_view chunk)> data;
};

// The next bytes of the stream, valid until the next call; an error when it cannot be read.
using TarInput = std::function<Result<std::string_view>()>;

// Reads members until the end-of-archive marker; returns the number of input bytes up to and
// including it. Fails (EPROTO, naming `where`) on anything that is not a well-formed archive,
// and on a hard-link member: the transport asks tar for content under every name.
Result<uint64_t> read_tar(const TarInput& next, const TarCallbacks& callbacks,
                          const std::string& where);

}  // namespace nb::fs::ssh
