// Prune: applies each node's retention policy, then drops the blobs no remaining snapshot
// references, pack by pack, and the leftovers of writers that died.
//
// Packs: a pack none of whose blobs is still used is deleted; a pack whose unused share of
// bytes is at least kRewriteUnusedShare (20 %) is rewritten — its used blobs are copied,
// still sealed, into new packs — and then deleted; any other pack is kept as it is, its unused
// blobs dropped from the index only. So prune reads and writes pack data only for packs it
// frees space in, and writes at most 4 bytes per byte it frees (a pack just over the
// threshold). Packs no index file names (a backup killed between a pack and its index file)
// are deleted too.
//
// It never races a backup: it holds the repository's exclusive lock (backups hold it shared),
// a kernel lock that dies with its holder. It is crash-safe by its order: dropped snapshot
// records are removed durably first; the blobs the remaining records reach are marked; the
// rewritten packs are put durably; then one index file replacing all the old ones is put
// durably; only then are the old index files deleted, and only after them any pack. Killed
// at any instant, every index file names only packs that exist, every remaining record's
// blobs are indexed, and a later prune finishes the job (what it meant to delete is named by
// no index file any more, so it is an unindexed pack). Every node's latest complete snapshot
// survives, so the hash store never points at content prune dropped.
//
// A daemon calls prune() from a worker thread; it blocks on the lock until running backups
// finish unless `wait_for_lock` is false. A real (not dry) run logs prune_summary() at info.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "repo/repository.h"
#include "repo/retention.h"

namespace nb::repo {

// Node id → its policy. A node of the repository without a policy (removed from the
// configuration) keeps all its snapshots: deleting a node's history takes an explicit act.
using RetentionPolicies = std::map<std::string, RetentionPolicy>;

struct PruneOptions {
  std::string node;           // only this node's snapshots may go; empty: every node's
  bool dry_run = false;       // decide and count, delete nothing
  bool wait_for_lock = true;  // false: fail at once (transient EWOULDBLOCK) while a backup runs
};

struct SnapshotFate {
  std::string id;
  int64_t finished_ns = 0;
  bool partial = false;
  bool keep = false;
  // As RetentionVerdict's, or "node not in the configuration" / "not the node pruned" for a
  // node whose snapshots are all kept because prune does not apply a policy to it.
  std::vector<std::string> reasons;
};

struct NodePrune {
  std::string node;
  std::vector<SnapshotFate> snapshots;  // oldest first
};

// What went (or, in a dry run, would go). Bytes are sizes of the files deleted, the measure of
// repository growth.
struct PruneReport {
  bool dry_run = false;
  std::vector<NodePrune> nodes;
  uint64_t snapshots_kept = 0;
  uint64_t snapshots_removed = 0;
  uint64_t objects_kept = 0;     // blobs still indexed
  uint64_t objects_removed = 0;  // blobs dropped from the index
  uint64_t packs_deleted = 0;    // unused, unindexed or rewritten packs deleted
  uint64_t packs_rewritten = 0;  // of those, packs whose used blobs were copied first
  uint64_t packs_written = 0;    // new packs the copies went into
  uint64_t index_files_replaced = 0;
  uint64_t temps_removed = 0;  // leftovers of writers that died
  uint64_t bytes_freed = 0;    // records, packs, index files and temp files deleted
  uint64_t bytes_written = 0;  // new packs and the new index file
};

// A pack whose unused bytes are at least this share of it is rewritten.
constexpr double kRewriteUnusedShare = 0.20;

Result<PruneReport> prune(Repository& repo, const RetentionPolicies& policies,
                          const PruneOptions& options);

// "prune: removed 3 snapshots, 120 objects, 2 temp files, 1.5 MiB freed; kept ..." — one line
// for the log.
std::string prune_summary(const PruneReport& report);

}  // namespace nb::repo
