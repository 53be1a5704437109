// The repository: content-addressed objects (file contents and directory listings, named by
// their XXH3-128), and per-node snapshot records. Layout under the root (0700, files 0600):
//
//   config                      format marker
//   lock                        flock target: shared by backups, exclusive by prune
//   generation                  changed by every prune before it deletes objects
//   objects/<2 hex>/<32 hex>    objects, immutable once named
//   snapshots/<node>/<id>.json  snapshot records
//   tmp/                        large objects streaming in, not yet durable
//   objects/<2 hex>/<32 hex>.tmp.*   small objects staged beside their name
//
// An object only ever appears under its name after its content is durable, so a crash at any
// instant leaves every named object whole. Objects disappear only by prune, under the
// exclusive lock. Thread-safe.
#pragma once

#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "repo/snapshot.h"
#include "util/error.h"
#include "util/file.h"
#include "util/hash.h"

namespace nb::repo {

// Where a test may inject a failure (or a crash) into the repository's write path and into
// prune's deletions.
enum class FaultPoint {
  store_object,
  commit_objects,
  write_snapshot,
  prune_remove_snapshot,  // before each snapshot record prune removes
  prune_delete_object,    // before each unreferenced object prune deletes
  prune_delete_temp,      // before each leftover temp file prune deletes
};
using FaultHook = std::function<Result<>(FaultPoint)>;

// A kernel lock on the repository (flock): released when its holder exits or dies, so no
// stale lock can ever block a run.
class RepoLock {
 public:
  RepoLock() = default;
  explicit RepoLock(UniqueFd fd) : fd_(std::move(fd)) {}
  bool held() const { return fd_.valid(); }

 private:
  UniqueFd fd_;
};

class ObjectBatch;

class Repository {
 public:
  // Opens the repository at `root`; with `create`, makes it if it does not exist yet.
  static Result<std::unique_ptr<Repository>> open(const std::string& root, bool create);

  const std::string& root() const { return root_; }

  // Shared for backups, exclusive for prune. Without `wait`, a lock another holder blocks
  // fails at once with a transient EWOULDBLOCK error. Taking the lock also drops the object
  // index if a prune (in any process) ran since it was read.
  Result<RepoLock> lock(bool exclusive, bool wait = true);

  // Whether a durable object with this name exists (an index read once, then kept current;
  // valid while a lock is held: a prune deletes objects only under the exclusive lock).
  bool has_object(const Hash& hash);
  // Starts reading the index in the background, so has_object() need not wait for it.
  void prefetch_index();
  // Drops the index (after waiting for a prefetch in flight); the next has_object() reads it
  // again. Prune calls it after deleting objects.
  void forget_index();
  std::string object_path(const Hash& hash) const;
  Result<std::string> read_object(const Hash& hash) const;
  // Names of every object on disk, for verify and prune.
  Result<std::vector<Hash>> list_objects() const;

  std::unique_ptr<ObjectBatch> new_batch();

  Result<> write_snapshot(const SnapshotRecord& record);
  std::string snapshot_path(const std::string& node, const std::string& id) const;
  // Removes the record durably (unlink, then sync the directory): prune relies on a removed
  // record staying removed before it deletes what only that record referenced. Returns the
  // record's size.
  Result<uint64_t> remove_snapshot(const std::string& node, const std::string& id);
  // Oldest first; every node when `node` is empty. Unreadable records are errors.
  Result<std::vector<SnapshotRecord>> snapshots(const std::string& node = {}) const;
  // By id, or "latest": the newest complete (non-partial) snapshot of the node.
  Result<SnapshotRecord> find_snapshot(const std::string& node, const std::string& id) const;

  // For prune, under the exclusive lock. Records a new generation durably, so every process
  // holding an index of this repository drops it at its next lock: an index listing an object
  // prune deleted would let a backup "deduplicate" against content that is gone.
  Result<> start_deleting_objects();
  // Deletes an object file; returns its size (0 if it was already gone).
  Result<uint64_t> delete_object(const Hash& hash);
  // Temp files of writers that died (tmp/*, objects/*/*.tmp.*, snapshots/*/*.tmp.*). Only
  // leftovers while the exclusive lock is held, since every writer holds the shared one.
  Result<std::vector<std::string>> leftover_temps() const;
  // Deletes one of them; returns its size.
  Result<uint64_t> delete_temp(const std::string& path);

  void set_fault_hook(FaultHook hook) { fault_hook_ = std::move(hook); }
  Result<> check_fault(FaultPoint point) const;

 private:
  friend class ObjectBatch;
  explicit Repository(std::string root) : root_(std::move(root)) {}
  Result<> create_layout() const;
  Result<> load_index();
  void note_committed(const std::vector<Hash>& hashes);
  void forget_index_if_pruned();

  std::string root_;
  FaultHook fault_hook_;
  // Serialises forget_index_if_pruned(), so no lock holder uses an index another thread is
  // about to drop.
  std::mutex generation_mutex_;
  std::optional<std::string> generation_;  // as last seen; unset before the first lock
  std::mutex index_mutex_;
  bool index_loaded_ = false;
  std::unordered_set<Hash, HashHasher> index_;
  // Declared last, so destroyed first: its destructor waits for a prefetch still filling
  // index_ (a run that fails early destroys the repository while the prefetch lists objects).
  std::future<void> index_prefetch_;
};

// Objects staged by one job and made durable together: content streams into the current
// object, which is dropped if the repository already holds it; commit() makes everything
// staged durable with one filesystem sync and then names it. Uncommitted objects are removed
// on destruction.
class ObjectBatch {
 public:
  explicit ObjectBatch(Repository& repo) : repo_(repo) {}
  ~ObjectBatch();
  ObjectBatch(const ObjectBatch&) = delete;
  ObjectBatch& operator=(const ObjectBatch&) = delete;

  void begin_object();
  Result<> append(std::string_view data);
  // Ends the current object, whose content hashes to `hash`; returns the bytes newly staged
  // (0 when the repository or this batch already has that content).
  Result<uint64_t> finish_object(const Hash& hash);
  void abandon_object();

  // A small object given whole (a listing); returns bytes newly staged.
  Result<uint64_t> put(const Hash& hash, std::string_view data);

  Result<> commit();

 private:
  struct Staged {
    Hash hash;
    std::string temp_path;
  };
  Result<> spill();
  Result<> write_temp(const Hash& hash, std::string_view data, std::string& temp_path);
  void remove_temps();

  Repository& repo_;
  std::string buffer_;  // the current object while it is small
  UniqueFd spill_fd_;   // the current object once it grew large
  std::string spill_path_;
  uint64_t current_size_ = 0;
  std::vector<Staged> pending_;
  std::unordered_set<Hash, HashHasher> staged_;
};

}  // namespace nb::repo
