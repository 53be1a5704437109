// Retention: which of a node's snapshots to keep. A pure function of the records' timestamps
// and the policy, so it is tested with chosen timestamps and needs no clock.
//
// Semantics are restic's `forget --keep-*` (and, but for one detail, borg's `prune`):
// snapshots are taken newest first; `last N` keeps the N newest; `hourly N` keeps the newest
// snapshot of each of the N most recent hours *that have a snapshot*, and so on for days,
// ISO weeks (Monday to Sunday), months and years, all in UTC. Each rule counts on its own,
// so one snapshot may satisfy several (borg instead lets an earlier rule's pick not count
// toward a later rule's N). A snapshot is kept when any rule keeps it. Periods without a
// snapshot do not count, and when a rule finds fewer periods than its N it keeps what it
// found and nothing older (recent restic and borg also keep the oldest snapshot then; we do
// not, so a rule's reach is exactly its N periods).
//
// Beyond the rules:
// - The node's latest complete snapshot is always kept: the hash store vouches for content by
//   pointing at it, and an operator's newest restore point must never vanish.
// - Rules apply to complete snapshots only. A partial snapshot (a checkpoint of a run that
//   did not finish) newer than the latest complete one is kept: it is the only record of what
//   that interrupted run stored and wrote back into the hash store. A partial snapshot older
//   than the latest complete one is superseded by it and dropped.
// - A policy whose every count is 0 keeps everything: an empty policy is far more likely a
//   configuration slip than a wish to delete a node's history (restic refuses to run one).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "repo/snapshot.h"

namespace nb::repo {

// How many of the newest periods each rule keeps. The repository owns this type and a program
// fills it from its configuration (daemon/common/retention_config), so repo/ needs no config/.
// The defaults are the documented ones, the same as config::Retention's.
struct RetentionPolicy {
  int last = 24, hourly = 0, daily = 7, weekly = 4, monthly = 0, yearly = 0;
  bool operator==(const RetentionPolicy&) const = default;
};

struct RetentionVerdict {
  bool keep = false;
  // Why it is kept ("latest", "last", "hourly", "daily", "weekly", "monthly", "yearly",
  // "partial, newer than the latest complete snapshot", "empty policy") or dropped
  // ("partial, superseded", "not selected by the policy").
  std::vector<std::string> reasons;
};

// One verdict per record of `snapshots` (one node's, in any order), in the same order.
// Records are ordered by (finished_ns, id), as Repository::snapshots() orders them and "latest"
// is chosen, and fall into periods by finished_ns: the moment the snapshot's state was taken
// whole (restic uses the start; for runs of minutes the difference is a rare edge of a period).
std::vector<RetentionVerdict> apply_retention(const std::vector<SnapshotRecord>& snapshots,
                                              const RetentionPolicy& policy);

// The time buckets the rules count, exposed for tests: distinct values are distinct periods.
namespace period {
int64_t hour(int64_t ns);
int64_t day(int64_t ns);
int64_t iso_week(int64_t ns);  // the day number of the week's Monday
int64_t month(int64_t ns);     // year * 12 + month - 1
int64_t year(int64_t ns);
}  // namespace period

}  // namespace nb::repo
