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
#include <functional>
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
  int64_t ctime_ns = 0;  // meaningful only if Capabilities::ctime
  uint64_t inode = 0;    // meaningful only if Capabilities::inode
  // Hard links (Capabilities::hardlinks): the link count, and the filesystem the inode is on,
  // which together with `inode` names the file whatever path it is reached by.
  uint32_t nlink = 0;
  uint64_t dev = 0;
  // A regular file occupies fewer blocks than its size (Capabilities::sparse): it has holes.
  bool sparse = false;
  std::string link_target;  // symlinks only
};

// One extended attribute: `user.*`, `security.*` (file capabilities are
// `security.capability`), `trusted.*`, and POSIX ACLs as `system.posix_acl_access` and
// `system.posix_acl_default` in the kernel's binary form. Sorted by name where a list is given.
struct Xattr {
  std::string name;
  std::string value;
  bool operator==(const Xattr&) const = default;
};

// What the walk does not give about an entry and a restore needs: its extended attributes and,
// for a device node, its device number. Both change an entry's ctime, so a backup asks for
// them only where the ctime moved (backup/tree_builder.h).
struct Extras {
  std::vector<Xattr> xattrs;
  uint64_t rdev = 0;  // character and block devices (makedev form)
  bool operator==(const Extras&) const = default;
};

// What a filesystem can tell about a file. SFTP v3, for instance, gives size and whole-second
// mtime only; a local filesystem adds nanosecond mtime, ctime and inode.
struct Capabilities {
  bool ctime = false;
  bool inode = false;
  // Metadata a faithful copy needs beyond type, mode, owner, size and times. Each needs `ctime`
  // as well: a backup takes it over from the previous snapshot wherever the ctime did not move.
  bool hardlinks = false;  // FileMeta::nlink and ::dev
  bool xattrs = false;     // ReadDone::xattrs and read_extras()
  bool sparse = false;     // FileMeta::sparse
  bool specials = false;   // fifos and device nodes are walked, and read_extras() gives rdev
  // Granularity of mtime as reported: a file modified twice within one tick shows one mtime.
  int64_t mtime_resolution_ns = 1'000'000'000;
};

// What a transport with `caps` cannot capture, for the operator: "hard links, extended
// attributes (ACLs, file capabilities), …", or "" when it captures everything.
std::string missing_metadata(const Capabilities& caps);

class WalkVisitor {
 public:
  virtual ~WalkVisitor() = default;
  // Called for the root first, then for every entry below it, parents before children.
  // For a directory, returning false means its contents are not wanted: they are not listed.
  virtual bool entry(const std::string& path, const FileMeta& meta) = 0;
  // An entry below the root could not be listed or examined; the walk goes on.
  virtual void error(const Error& error) = 0;
  // True when directories on another filesystem than the root's will be refused (entry()
  // returns false for them): a transport that lists ahead of the visitor (find) need not
  // list what is below them at all.
  virtual bool one_file_system() const { return false; }
};

// Metadata of a file after it was read in full, and when that read finished (on the clock the
// file's mtime is compared with, for the racy rule).
struct ReadDone {
  FileMeta after;
  int64_t read_time_ns = 0;
  std::vector<Xattr> xattrs;  // Capabilities::xattrs: as the file had them when read
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

  // Extras of `paths` (any type but regular files, whose extended attributes come with their
  // content in read_files()): one call of `done` per path. Filesystems without
  // Capabilities::xattrs and ::specials are never asked.
  using ExtrasDone = std::function<void(const std::string& path, Result<Extras> extras)>;
  virtual Result<> read_extras(const std::vector<std::string>& paths, const ExtrasDone& done) {
    (void)paths;
    (void)done;
    return fail("read metadata", describe(), ENOTSUP, "the transport cannot read it");
  }

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
