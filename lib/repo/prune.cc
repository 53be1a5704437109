#include "repo/prune.h"

#include <sys/stat.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "repo/reachable.h"

namespace nb::repo {

namespace {

uint64_t size_of(const std::string& path) {
  struct ::stat st;
  return ::lstat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

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
      report.bytes_freed += size_of(repo.snapshot_path(record.node, record.id));
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

// Deletes every object on disk that `reached` does not hold.
Result<> sweep_objects(Repository& repo, const HashSet& reached, bool dry_run,
                       PruneReport& report) {
  auto on_disk = repo.list_objects();
  if (!on_disk) return std::unexpected(on_disk.error());
  std::vector<Hash> unreferenced;
  for (const auto& hash : *on_disk) {
    if (!reached.contains(hash)) unreferenced.push_back(hash);
  }
  report.objects_kept = on_disk->size() - unreferenced.size();
  if (unreferenced.empty()) return {};
  if (!dry_run) {
    if (auto r = repo.start_deleting_objects(); !r) return r;
  }
  for (const auto& hash : unreferenced) {
    auto size =
        dry_run ? Result<uint64_t>(size_of(repo.object_path(hash))) : repo.delete_object(hash);
    if (!size) return std::unexpected(size.error());
    report.bytes_freed += *size;
    ++report.objects_removed;
  }
  if (!dry_run) repo.forget_index();
  return {};
}

Result<> sweep_temps(Repository& repo, bool dry_run, PruneReport& report) {
  auto temps = repo.leftover_temps();
  if (!temps) return std::unexpected(temps.error());
  for (const auto& path : *temps) {
    auto size = dry_run ? Result<uint64_t>(size_of(path)) : repo.delete_temp(path);
    if (!size) return std::unexpected(size.error());
    report.bytes_freed += *size;
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
  auto reached = reachable_objects(repo, plan.kept);
  if (!reached) return std::unexpected(reached.error());
  if (auto r = sweep_objects(repo, *reached, options.dry_run, report); !r) {
    return std::unexpected(r.error());
  }
  if (auto r = sweep_temps(repo, options.dry_run, report); !r) return std::unexpected(r.error());
  if (!options.dry_run) spdlog::info("{}", prune_summary(report));
  return report;
}

std::string prune_summary(const PruneReport& r) {
  return fmt::format(
      "prune{}: {} {} snapshots, {} objects, {} temp files, {} freed; kept {} snapshots, {} "
      "objects",
      r.dry_run ? " (dry run)" : "", r.dry_run ? "would remove" : "removed", r.snapshots_removed,
      r.objects_removed, r.temps_removed, format_bytes(r.bytes_freed), r.snapshots_kept,
      r.objects_kept);
}

}  // namespace nb::repo
