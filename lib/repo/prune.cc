#include "repo/prune.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <set>

#include "repo/prune_packs.h"
#include "repo/reachable.h"

namespace nb::repo {

namespace {

// The records to keep and to drop, and the report's per-node view of them.
struct Plan {
  std::vector<NodePrune> nodes;
  std::vector<SnapshotRecord> kept, dropped;
};

std::vector<RetentionVerdict> keep_all(size_t n, const char* why) {
  return std::vector<RetentionVerdict>(n, RetentionVerdict{true, {why}});
}

std::vector<RetentionVerdict> verdicts_for(const std::string& node,
                                           const std::vector<SnapshotRecord>& records,
                                           const RetentionPolicies& policies,
                                           const PruneOptions& options) {
  if (!options.node.empty() && options.node != node) {
    return keep_all(records.size(), "not the node pruned");
  }
  const auto policy = policies.find(node);
  if (policy == policies.end()) return keep_all(records.size(), "node not in the configuration");
  return apply_retention(records, policy->second);
}

// `all` is oldest first (Repository::snapshots()); each node's records stay in that order.
Plan decide(std::vector<SnapshotRecord> all, const RetentionPolicies& policies,
            const PruneOptions& options) {
  std::map<std::string, std::vector<SnapshotRecord>> by_node;
  for (auto& record : all) by_node[record.node].push_back(std::move(record));
  Plan plan;
  for (auto& [node, records] : by_node) {
    const auto verdicts = verdicts_for(node, records, policies, options);
    NodePrune& report = plan.nodes.emplace_back(NodePrune{node, {}});
    for (size_t i = 0; i < records.size(); ++i) {
      report.snapshots.push_back({records[i].id, records[i].finished_ns, records[i].partial,
                                  verdicts[i].keep, verdicts[i].reasons});
      (verdicts[i].keep ? plan.kept : plan.dropped).push_back(std::move(records[i]));
    }
  }
  return plan;
}

// Removes the dropped records, each durably before the next step may rely on it.
Result<> remove_records(Repository& repo, const Plan& plan, bool dry_run, PruneReport& report) {
  for (const auto& record : plan.dropped) {
    if (dry_run) {
      report.bytes_freed += record.stored_size;
    } else {
      if (auto r = repo.check_fault(FaultPoint::prune_remove_snapshot); !r) return r;
      auto size = repo.remove_snapshot(record.node, record.id);
      if (!size) return std::unexpected(size.error());
      report.bytes_freed += *size;
    }
    ++report.snapshots_removed;
  }
  report.snapshots_kept = plan.kept.size();
  return {};
}

Result<> sweep_temps(Repository& repo, bool dry_run, PruneReport& report) {
  auto leftovers = repo.storage().list_incomplete();
  if (!leftovers) return std::unexpected(leftovers.error());
  for (const auto& f : *leftovers) {
    if (!dry_run) {
      if (auto r = repo.check_fault(FaultPoint::prune_delete_temp); !r) return r;
      if (auto r = repo.storage().remove_incomplete(f.name); !r) return r;
    }
    report.bytes_freed += f.size;
    ++report.temps_removed;
  }
  return {};
}

}  // namespace

Result<PruneReport> prune(Repository& repo, const RetentionPolicies& policies,
                          const PruneOptions& options) {
  // Exclusive even for a dry run: with a backup half-way, its staged objects would count as
  // garbage.
  auto lock = repo.lock(/*exclusive=*/true, options.wait_for_lock);
  if (!lock) return std::unexpected(lock.error());
  // An unreadable record fails the whole prune: what it references is unknown.
  auto all = repo.snapshots();
  if (!all) return std::unexpected(all.error());
  PruneReport report;
  report.dry_run = options.dry_run;
  Plan plan = decide(std::move(*all), policies, options);
  report.nodes = std::move(plan.nodes);
  if (auto r = remove_records(repo, plan, options.dry_run, report); !r) {
    return std::unexpected(r.error());
  }
  auto reached = reachable_blobs(repo, plan.kept);
  if (!reached) return std::unexpected(reached.error());
  if (auto r = sweep_blobs(repo, *reached, options.dry_run, *lock, report); !r) {
    return std::unexpected(r.error());
  }
  if (auto r = sweep_temps(repo, options.dry_run, report); !r) return std::unexpected(r.error());
  if (!options.dry_run) spdlog::info("{}", prune_summary(report));
  return report;
}

std::string prune_summary(const PruneReport& r) {
  return fmt::format(
      "prune{}: {} {} snapshots, {} objects, {} packs ({} rewritten), {} temp files, {} freed, "
      "{} written; kept {} snapshots, {} objects",
      r.dry_run ? " (dry run)" : "", r.dry_run ? "would remove" : "removed", r.snapshots_removed,
      r.objects_removed, r.packs_deleted, r.packs_rewritten, r.temps_removed,
      format_bytes(r.bytes_freed), format_bytes(r.bytes_written), r.snapshots_kept, r.objects_kept);
}

}  // namespace nb::repo
