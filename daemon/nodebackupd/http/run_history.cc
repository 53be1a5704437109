#include "nodebackupd/http/run_history.h"

#include <algorithm>
#include <set>

namespace nb::daemon::http {

namespace {

// The id of a stored record's name ("snapshots/<node>/<id>"); empty for anything else (a
// format-1 "<id>.json" left by an interrupted migration).
std::string record_id(const std::string& name) {
  const auto id = name.substr(name.find_last_of('/') + 1);
  return id.find('.') == std::string::npos ? id : std::string();
}

void sort_records(std::vector<repo::SnapshotRecord>& records) {
  std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
    return std::tie(a.finished_ns, a.id) < std::tie(b.finished_ns, b.id);
  });
}

}  // namespace

Result<Histories> load_histories(const repo::Repository& repo) {
  auto records = repo.snapshots();
  if (!records) return std::unexpected(records.error());
  std::map<std::string, std::shared_ptr<NodeHistory>> by_node;
  for (auto& record : *records) {
    auto& history = by_node[record.node];
    if (!history) history = std::make_shared<NodeHistory>();
    history->snapshots.push_back(std::move(record));  // already in order
  }
  Histories out;
  for (auto& [node, history] : by_node) out.emplace(node, std::move(history));
  return out;
}

Result<HistoryPtr> refresh_history(const repo::Repository& repo, const std::string& node,
                                   const HistoryPtr& current) {
  auto files = repo.storage().list(repo::Repository::snapshot_name(node, ""));
  if (!files) return std::unexpected(files.error());
  std::set<std::string> stored;
  for (const auto& file : *files) {
    if (auto id = record_id(file.name); !id.empty()) stored.insert(std::move(id));
  }
  auto next = std::make_shared<NodeHistory>();
  std::set<std::string> known;
  if (current) {
    for (const auto& record : current->snapshots) {
      if (stored.contains(record.id)) {
        next->snapshots.push_back(record);
        known.insert(record.id);
      }
    }
  }
  std::vector<std::string> added;
  std::set_difference(stored.begin(), stored.end(), known.begin(), known.end(),
                      std::back_inserter(added));
  if (added.empty()) return next;
  if (added.size() == 1) {
    auto newest = repo.newest_snapshot(node);
    if (!newest) return std::unexpected(newest.error());
    if (*newest && (*newest)->id == added.front()) {
      next->snapshots.push_back(std::move(**newest));
      sort_records(next->snapshots);
      return next;
    }
  }
  // Several new records (or one that is not the newest): read the node's records afresh.
  auto all = repo.snapshots(node);
  if (!all) return std::unexpected(all.error());
  next->snapshots = std::move(*all);
  return next;
}

std::vector<RunRow> merge_runs(const NodeHistory& history, const std::deque<RunRecord>& failures) {
  std::vector<RunRow> rows;
  rows.reserve(history.snapshots.size() + failures.size());
  for (const auto& record : history.snapshots) {
    rows.push_back({record.started_ns,
                    record.finished_ns,
                    true,
                    record.partial,
                    record.id,
                    {},
                    record.counts});
  }
  for (const auto& run : failures) {
    rows.push_back({run.started_ns,
                    run.finished_ns,
                    false,
                    false,
                    {},
                    run.error.value_or(run.interrupted ? "interrupted" : "failed"),
                    run.counts});
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const RunRow& a, const RunRow& b) { return a.finished_ns < b.finished_ns; });
  return rows;
}

}  // namespace nb::daemon::http
