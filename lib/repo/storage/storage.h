// Storage: where a repository keeps its files, in the spirit of LevelDB's Env. Everything the
// repository stores goes through this interface, so a backend only has to give what an object
// store gives: named files written whole, read whole or by range, listed by prefix and
// deleted. There is no rename, no append and no advisory lock in the contract; a backend may
// use them underneath (the local one does).
//
// Names are relative, '/'-separated, made of [A-Za-z0-9._-] components, never "." or "..".
// A name is either present with its whole content or absent: no reader ever sees part of a
// put. Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace nb::repo {

struct StoredFile {
  std::string name;
  uint64_t size = 0;
};

// Held while a backup (shared) or a prune (exclusive) works on the repository; released on
// destruction, and by the backend when its holder dies, so no stale lock ever blocks a run.
class StorageLock {
 public:
  virtual ~StorageLock() = default;
  // Whether the lock is still surely held. A kernel lock always is; a lease (S3) whose
  // renewals have failed for half its lifetime may soon be taken for its holder's death, so
  // a writer checks before it makes what it wrote findable, and fails instead (transient).
  virtual Result<> check() const { return {}; }
};

// A file written piece by piece and stored under a name chosen once it is complete: a pack is
// named by the hash of all its bytes, and a writer that had to hold it whole before putting it
// kept 16 MiB per pack in memory. Nothing is visible under any name before commit(); destroyed
// without a commit it leaves nothing, and a writer that dies leaves only a leftover that
// list_incomplete() shows.
class PendingFile {
 public:
  virtual ~PendingFile() = default;
  virtual Result<> append(std::string_view data) = 0;
  // What put(name, every appended byte) promises. The file cannot be appended to afterwards.
  virtual Result<> commit(const std::string& name) = 0;
};

class Storage {
 public:
  virtual ~Storage() = default;

  // Stores `data` under `name`, replacing any earlier content. On success the content is
  // durable: a crash or power loss after put() returns never loses or tears it. On failure
  // the name holds its earlier content or nothing, never part of `data`.
  virtual Result<> put(const std::string& name, std::string_view data) = 0;

  // A file to be put piece by piece under a name that starts with `prefix` ("data/").
  virtual Result<std::unique_ptr<PendingFile>> create_pending(const std::string& prefix) = 0;

  // The whole content. A missing name fails with code ENOENT.
  virtual Result<std::string> get(const std::string& name) const = 0;

  // `length` bytes from `offset`. Fails (EIO, naming the file) when the file is shorter, so a
  // truncated pack is never read as a short blob; ENOENT when missing.
  virtual Result<std::string> get_range(const std::string& name, uint64_t offset,
                                        uint64_t length) const = 0;

  // Every name that starts with `prefix` ("snapshots/" lists all records), with its size, in
  // no particular order. Only complete files are listed. A prefix nothing matches is empty.
  virtual Result<std::vector<StoredFile>> list(const std::string& prefix) const = 0;

  // Removes `name` durably: once remove() returns, a crash does not bring it back. A name
  // already gone succeeds (a prune re-run meets what it deleted before).
  virtual Result<> remove(const std::string& name) = 0;

  // Mutual exclusion between backups (shared) and prune (exclusive). Without `wait`, a lock
  // that is held the other way fails at once with a transient EWOULDBLOCK error.
  virtual Result<std::unique_ptr<StorageLock>> lock(bool exclusive, bool wait) = 0;

  // What writers that died left half-written (temp files, unfinished uploads), and removing
  // one of them. Only meaningful with the exclusive lock held, when no writer can be active:
  // otherwise a listed leftover may be a put in progress.
  virtual Result<std::vector<StoredFile>> list_incomplete() const = 0;
  virtual Result<> remove_incomplete(const std::string& name) = 0;

  // Where this storage is, for messages ("/var/lib/nodebackup/repo").
  virtual const std::string& location() const = 0;
  // `name` as a user would look for it ("/var/lib/nodebackup/repo/data/ab/ab12…").
  virtual std::string describe(const std::string& name) const = 0;
};

// A directory on a local filesystem: files 0600, directories 0700; put() is temp → fsync →
// rename → fsync the directory; remove() unlinks and syncs the directory; the lock is a
// flock(2) on `<root>/lock`. The directory must exist.
std::unique_ptr<Storage> open_local_storage(const std::string& root);

}  // namespace nb::repo
