// NodeFs: everything the backup job may ask of a node's filesystem. A node is just an
// implementation of this interface (LocalFs, SftpFs, a test fake); the job never asks which.
//
// Contract, for every implementation:
// - Paths are absolute paths on the node, as bytes (names need not be UTF-8).
// - Metadata is lstat metadata: symlinks are reported, never followed.
// - Only the fields named in capabilities() are meaningful; the others are zero. The quick check
//   compares exactly the declared fields, so an implementation must never declare a field it
//   cannot give reliably.
// - Per-entry problems (EACCES, an entry that vanished, an unreadable file) are reported to the
//   visitor or sink and the operation goes on. A returned Error means the whole operation
//   failed (root missing, connection lost, sink refused data): its results must not be trusted.
// - Implementations are used by one job at a time; they need not be thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"
#include "util/file_type.h"
#include "util/subprocess.h"

namespace nb::fs {

using nb::FileType;
using nb::type_name;

struct FileMeta {
  FileType type = FileType::unknown;
  uint32_t mode = 0;  // permission bits only (07777)
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;     // meaningful only if Capabilities::ctime
  uint64_t inode = 0;       // meaningful only if Capabilities::inode
  std::string link_target;  // symlinks only
};

// What a filesystem can tell about a file. SFTP v3, for instance, gives size and whole-second
// mtime only; a local filesystem adds nanosecond mtime, ctime and inode.
struct Capabilities {
  bool ctime = false;
  bool inode = false;
  // Granularity of mtime as reported: a file modified twice within one tick shows one mtime.
  int64_t mtime_resolution_ns = 1'000'000'000;
};

class WalkVisitor {
 public:
  virtual ~WalkVisitor() = default;
  // Called for the root first, then for every entry below it, parents before children.
  // For a directory, returning false means its contents are not wanted: they are not listed.
  virtual bool entry(const std::string& path, const FileMeta& meta) = 0;
  // An entry below the root could not be listed or examined; the walk goes on.
  virtual void error(const Error& error) = 0;
};

// Metadata of a file after it was read in full, and when that read finished (on the clock the
// file's mtime is compared with, for the racy rule).
struct ReadDone {
  FileMeta after;
  int64_t read_time_ns = 0;
};

class ReadSink {
 public:
  virtual ~ReadSink() = default;
  // A file was opened; `opened` is its metadata just before the first byte was read.
  virtual void begin(const std::string& path, const FileMeta& opened) = 0;
  // The next chunk of the file that began last. An error aborts read_files() with that error.
  virtual Result<> data(std::string_view chunk) = 0;
  // The file ended: completely read (ReadDone), or failed (the Error; then begin() may not have
  // been called, e.g. when the file could not be opened).
  virtual void end(const std::string& path, const Result<ReadDone>& outcome) = 0;
};

class NodeFs {
 public:
  virtual ~NodeFs() = default;

  virtual Capabilities capabilities() const = 0;

  // "local", "sftp backup@host:22", ... for log lines.
  virtual std::string describe() const = 0;

  // lstat of one path. NotFound is an Error with code ENOENT.
  virtual Result<FileMeta> stat(const std::string& path) = 0;

  // Walks `root` (a directory, or a single entry) without following symlinks. Fails only when
  // the root cannot be examined or the node became unreachable.
  virtual Result<> walk(const std::string& root, WalkVisitor& visitor) = 0;

  // Streams the contents of `paths` (regular files) to `sink`: for each path exactly one end(),
  // one file at a time, in any order. Batched so an implementation can keep many requests in
  // flight; never opens a file that is not a regular file (a fifo must not block).
  virtual Result<> read_files(const std::vector<std::string>& paths, ReadSink& sink) = 0;

  // Runs a shell command line on the node (a hook): with /bin/sh locally, over the node's own
  // SSH connection remotely, with `env` (NAME=value) set, stdout and stderr captured, and
  // killed at `timeout`. Fails only when it cannot be started; its exit is in the outcome.
  // Filesystems that cannot run commands (the test fakes) refuse with ENOTSUP.
  virtual Result<CommandOutcome> run_command(const std::string& command,
                                             const std::vector<std::string>& env,
                                             std::chrono::seconds timeout) {
    (void)env;
    (void)timeout;
    return fail("run", command, ENOTSUP, describe() + " cannot run commands");
  }

  // Runs a shell command line on the node as run_command does (no environment added) and
  // hands its standard output to `out` as it arrives, so a dump larger than memory streams
  // through: nothing is held whole and no temporary file is written on either side. stderr is
  // captured (capped) in the outcome. An error from `out` stops the command and is returned;
  // so does `cancelled` (may be empty) turning true, polled while the command is silent too,
  // with an ECANCELED error.
  virtual Result<CommandOutcome> stream_command(const std::string& command,
                                                std::chrono::seconds timeout, const OutputSink& out,
                                                const std::function<bool()>& cancelled) {
    (void)timeout;
    (void)out;
    (void)cancelled;
    return fail("run", command, ENOTSUP, describe() + " cannot run commands");
  }
};

}  // namespace nb::fs
