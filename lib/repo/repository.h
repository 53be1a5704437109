// The repository, format 2 (docs/repository-format.md): content-defined chunks and directory
// listings stored as blobs — named by BLAKE2b, compressed, optionally encrypted — in pack
// files, found through an index, and per-node snapshot records. Everything is stored through
// one Storage, so nothing here assumes a local directory:
//
//   config                       format, whether encrypted, the chunker seed (plain repos)
//   keys/<id>                    the secrets wrapped by a passphrase (encrypted repos)
//   data/<2 hex>/<64 hex>        packs, immutable once named
//   index/<64 hex>               index files, immutable; prune replaces them
//   snapshots/<node>/<id>        snapshot records
//
// A pack is put durably before any index file names it, an index file before any snapshot
// record refers to what it lists, so a crash at any instant leaves every record whole and
// at worst packs no index names (prune deletes them). Packs and index files disappear only by
// prune, under the exclusive lock. Thread-safe.
#pragma once

#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "repo/format/blob_id.h"
#include "repo/format/index.h"
#include "repo/format/keys.h"
#include "repo/format/pack.h"
#include "repo/pack_writer.h"
#include "repo/snapshot.h"
#include "repo/storage/storage.h"
#include "util/error.h"

namespace nb::repo {

// Where a test may inject a failure (or a crash) into the repository's writes.
enum class FaultPoint {
  store_object,           // before each new blob a backup adds
  commit_objects,         // at the start of each commit
  write_pack,             // before each pack put (backup, migrate)
  write_index,            // before each index file put (backup, migrate)
  write_snapshot,         // before each snapshot record put
  prune_remove_snapshot,  // before each snapshot record prune removes
  prune_write_pack,       // before each pack prune writes while rewriting
  prune_write_index,      // before prune writes the index that replaces the old ones
  prune_delete_index,     // before each old index file prune deletes
  prune_delete_object,    // before each pack prune deletes
  prune_delete_temp,      // before prune removes the leftovers of writers that died
  migrate_snapshot,       // before migrate converts each format-1 snapshot
};
using FaultHook = std::function<Result<>(FaultPoint)>;

// Held while a backup (shared) or prune (exclusive) works; a kernel lock underneath in the
// local backend, released when its holder dies.
class RepoLock {
 public:
  RepoLock() = default;
  explicit RepoLock(std::unique_ptr<StorageLock> lock) : lock_(std::move(lock)) {}
  bool held() const { return lock_ != nullptr; }
  // StorageLock::check(): fails when a lease may have been lost.
  Result<> check() const { return lock_ ? lock_->check() : Result<>{}; }

 private:
  std::unique_ptr<StorageLock> lock_;
};

struct OpenOptions {
  // A storage without a config gets a new plain repository (the daemon's first run).
  bool create = false;
  // The passphrase of an encrypted repository; unset, opening one fails and says why.
  std::function<Result<std::string>()> passphrase;
  // Only for migrate: open a format-1 repository (readable through format1.h) instead of
  // refusing it.
  bool allow_format1 = false;
};

struct InitOptions {
  bool encrypt = false;
  std::string passphrase;  // encrypt only
  KdfParams kdf;
};

class BlobBatch;

class Repository {
 public:
  static Result<std::unique_ptr<Repository>> open(std::unique_ptr<Storage> storage,
                                                  const OpenOptions& options);
  // A local directory, plain or created plain (`create`): the tests' and tools' shorthand.
  static Result<std::unique_ptr<Repository>> open(const std::string& root, bool create);
  // Writes a new repository's config (and key) into an empty storage.
  static Result<> init(Storage& storage, const InitOptions& options);
  // The same under another name: migrate builds the format-2 config beside format 1's.
  static Result<> init_as(Storage& storage, const InitOptions& options,
                          const std::string& config_name);

  Storage& storage() const { return *storage_; }
  const RepoKeys& keys() const { return keys_; }
  const std::string& root() const { return storage_->location(); }
  bool format1() const { return format1_; }

  // Shared for backups, exclusive for prune. Taking it makes the next index use re-list the
  // index files, so an index a prune replaced is never used.
  Result<RepoLock> lock(bool exclusive, bool wait = true);

  BlobId blob_id(std::string_view plaintext) const { return repo::blob_id(keys_, plaintext); }
  // Whether an index file names a pack holding this blob (valid while a lock is held).
  bool has_blob(const BlobId& id) const;
  std::optional<BlobLocation> locate(const BlobId& id) const;
  // Whether every pack an index file names was in storage when the index was last listed
  // (valid while a lock is held). Then every blob a kept snapshot refers to is present, and a
  // backup may keep a listing of the node's newest snapshot without looking up each chunk.
  bool index_whole() const;
  // Starts loading the index in the background.
  void prefetch_index();
  void forget_index();
  // The plaintext, checked against its id; a corrupt or missing blob is an error naming it.
  Result<std::string> read_blob(const BlobId& id) const;
  // Every index file, read afresh (verify, prune): the records of each, by file name.
  Result<std::vector<std::pair<std::string, std::vector<PackRecord>>>> read_index_files() const;
  // Ids of every blob the index lists, read afresh.
  Result<std::vector<BlobId>> list_blobs() const;

  std::unique_ptr<BlobBatch> new_batch();

  Result<> write_snapshot(const SnapshotRecord& record);
  // Durably removed before prune relies on it. Returns the record's stored size.
  Result<uint64_t> remove_snapshot(const std::string& node, const std::string& id);
  // Oldest first; every node when `node` is empty. Unreadable records are errors.
  Result<std::vector<SnapshotRecord>> snapshots(const std::string& node = {}) const;
  // The record of the node's newest snapshot, partial or not, found by name (ids sort by
  // time) so that its cost does not grow with the node's history; nullopt when it has none.
  Result<std::optional<SnapshotRecord>> newest_snapshot(const std::string& node) const;
  // By id, or "latest": the newest complete (non-partial) snapshot of the node.
  Result<SnapshotRecord> find_snapshot(const std::string& node, const std::string& id) const;
  static std::string snapshot_name(const std::string& node, const std::string& id);

  // Called by a batch once an index file naming `packs` is durable.
  void note_committed(const std::string& index_file, const std::vector<PackRecord>& packs);

  void set_fault_hook(FaultHook hook) { fault_hook_ = std::move(hook); }
  Result<> check_fault(FaultPoint point) const;

 private:
  Repository(std::unique_ptr<Storage> storage, RepoKeys keys, bool format1)
      : storage_(std::move(storage)), keys_(keys), format1_(format1) {}
  Result<> ensure_index() const;
  Result<SnapshotRecord> read_record(const std::string& name) const;

  std::unique_ptr<Storage> storage_;
  RepoKeys keys_;
  bool format1_ = false;
  FaultHook fault_hook_;
  mutable std::mutex index_mutex_;
  mutable bool index_listed_ = false;  // index files listed since the last lock
  mutable Index index_;
  mutable std::set<std::string> index_files_;  // loaded into index_
  mutable size_t packs_missing_ = 0;           // named by index_files_, not in storage
  // Declared last, so destroyed first: its destructor waits for a prefetch still filling
  // index_ (a run that fails early destroys the repository while the prefetch lists indexes).
  std::future<void> index_prefetch_;
};

// Blobs added by one job, written into packs, and made findable together by commit(): packs
// are put as they fill, and commit() puts the last ones and then one index file naming them,
// so what a snapshot refers to is durable and indexed before the snapshot is written.
class BlobBatch {
 public:
  explicit BlobBatch(Repository& repo)
      : repo_(repo), data_(repo.storage()), trees_(repo.storage()) {}
  BlobBatch(const BlobBatch&) = delete;
  BlobBatch& operator=(const BlobBatch&) = delete;

  struct Added {
    BlobId id;
    uint64_t stored = 0;  // plaintext bytes newly stored; 0 when the blob was known
  };
  Result<Added> add(BlobType type, std::string_view plaintext);
  Result<> commit();

 private:
  Result<> flush(PackWriter& pack);

  Repository& repo_;
  PackWriter data_, trees_;
  std::vector<PackRecord> written_;  // packs put since the last commit
  std::unordered_set<BlobId, BlobIdHasher> staged_;
};

}  // namespace nb::repo
