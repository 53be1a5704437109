#include "support/snapshot_history.h"

#include "repo/chunk_list.h"

#include <catch2/catch.hpp>

#include "repo/browse.h"
#include "repo/restore.h"

namespace nb::test {

std::string SnapshotHistory::backup() {
  const auto result = fx_.run();
  REQUIRE(result.ok);
  remember(result.snapshot_id);
  return result.snapshot_id;
}

void SnapshotHistory::remember(const std::string& id) {
  expected_[id] = describe_tree(fx_.src);
}

int SnapshotHistory::check_restores() const {
  auto snapshots = fx_.repo->snapshots("01_node");
  REQUIRE(snapshots);
  int checked = 0;
  for (const auto& record : *snapshots) {
    INFO("snapshot " << record.id);
    const auto expected = expected_.find(record.id);
    REQUIRE(expected != expected_.end());
    TempDir target;
    auto report = repo::restore(*fx_.repo, record, {}, target.path(), {});
    REQUIRE(report);
    CHECK(report->errors.empty());
    CHECK(describe_tree(target.path() + fx_.src) == expected->second);
    ++checked;
  }
  return checked;
}

std::set<repo::BlobId> referenced(const repo::Repository& repo,
                                  const std::vector<repo::SnapshotRecord>& snapshots) {
  std::set<repo::BlobId> out;
  for (const auto& record : snapshots) {
    for (const auto& root : record.roots) {
      auto walked = repo::walk_entry(repo, root.path, root.entry,
                                     [&](const std::string&, const repo::TreeEntry& e) {
                                       if (e.tree) out.insert(*e.tree);
                                       out.insert(e.chunk_lists.begin(), e.chunk_lists.end());
                                       auto chunks = repo::file_chunks(repo, e);
                                       REQUIRE(chunks);
                                       out.insert(chunks->begin(), chunks->end());
                                     });
      REQUIRE(walked);
    }
  }
  return out;
}

std::set<repo::BlobId> indexed_blobs(const repo::Repository& repo) {
  auto list = repo.list_blobs();
  REQUIRE(list);
  return {list->begin(), list->end()};
}

bool holds_content(const repo::Repository& repo, const std::string& node, const std::string& path,
                   const Hash& xxh3) {
  auto records = repo.snapshots(node);
  if (!records || records->empty()) return false;
  auto entry = repo::find_entry(repo, records->back(), path);
  if (!entry || entry->xxh3 != xxh3) return false;
  const auto indexed = indexed_blobs(repo);
  auto chunks = repo::file_chunks(repo, *entry);
  if (!chunks) return false;
  for (const auto& id : entry->chunk_lists) {
    if (!indexed.contains(id)) return false;
  }
  for (const auto& id : *chunks) {
    if (!indexed.contains(id)) return false;
  }
  return true;
}

repo::RetentionPolicies keep_last(int n, const std::string& node) {
  return {{node, repo::RetentionPolicy{.last = n, .daily = 0, .weekly = 0}}};
}

}  // namespace nb::test
