// Prune: applies each node's retention policy, then deletes the objects no remaining snapshot
// references, and the temp files of writers that died.
//
// It never races a backup: it holds the repository's exclusive lock (backups hold it shared),
// a kernel lock that dies with its holder. It is crash-safe by its order: dropped snapshot
// records are removed durably first, then the objects the remaining records reach are marked,
// and only the rest is deleted. Killed at any instant, every remaining record is whole (its
// objects were never candidates), and a later prune finishes the job: deleting what is already
// gone counts nothing. Every node's latest complete snapshot survives, so the hash store never
// points at content prune dropped.
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
  uint64_t objects_kept = 0;
  uint64_t objects_removed = 0;
  uint64_t temps_removed = 0;  // leftovers of writers that died
  uint64_t bytes_freed = 0;    // records, objects and temp files
};

Result<PruneReport> prune(Repository& repo, const RetentionPolicies& policies,
                          const PruneOptions& options);

// "prune: removed 3 snapshots, 120 objects, 2 temp files, 1.5 MiB freed; kept ..." — one line
// for the log.
std::string prune_summary(const PruneReport& report);

}  // namespace nb::repo
