// Each node's run history as the dashboard shows it. Completed runs come from the snapshot
// records, so the history survives restarts and includes `--run-once` runs; the records are read
// once at start and afterwards only the new ones (a run adds one), never a full scan per
// request. Failed runs write no snapshot: those the daemon saw since it started are kept in
// memory and merged in. The loading functions block (they read the repository) and run off the
// event loop; a loaded history is immutable and shared, so pages render from it on any thread.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nodebackupd/node_slot.h"
#include "repo/repository.h"
#include "util/error.h"

namespace nb::daemon::http {

struct NodeHistory {
  std::vector<repo::SnapshotRecord> snapshots;  // oldest first, as Repository::snapshots()
};
using HistoryPtr = std::shared_ptr<const NodeHistory>;
using Histories = std::map<std::string, HistoryPtr>;

// Failed runs kept per node since start; the oldest beyond this are forgotten.
inline constexpr size_t kKeptFailures = 1000;

// One bar of a chart, one row of a table: a snapshot, or a failed run.
struct RunRow {
  int64_t started_ns = 0;
  int64_t finished_ns = 0;
  bool ok = true;
  bool partial = false;
  std::string snapshot_id;  // empty for a failed run
  std::string error;        // failed runs
  repo::RunCounts counts;
};

// Every node's records, in one pass over the repository.
Result<Histories> load_histories(const repo::Repository& repo);

// `current` brought up to date after a run: records removed since (by prune) are dropped, and
// only records not yet known are read (the newest alone when it is the only new one).
Result<HistoryPtr> refresh_history(const repo::Repository& repo, const std::string& node,
                                   const HistoryPtr& current);

// The snapshots and the failed runs in order of their finish.
std::vector<RunRow> merge_runs(const NodeHistory& history, const std::deque<RunRecord>& failures);

}  // namespace nb::daemon::http
