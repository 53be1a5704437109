// For prune tests: backs up a BackupFixture's source while remembering what each snapshot
// should restore to, and checks the repository against that memory afterwards.
#pragma once

#include <map>
#include <set>
#include <string>

#include "repo/prune.h"
#include "support/backup_fixture.h"

namespace nb::test {

class SnapshotHistory {
 public:
  explicit SnapshotHistory(BackupFixture& fx) : fx_(fx) {}

  // Runs a backup (it must succeed) and remembers the source as it was; returns the id.
  std::string backup();
  // Remembers the source as it is now as what snapshot `id` holds (for a backup run
  // elsewhere, e.g. on another thread, while the source stayed as it is).
  void remember(const std::string& id);

  // Restores every snapshot left in the repository and compares it with the source at the
  // time of that backup; returns how many were checked.
  int check_restores() const;

 private:
  BackupFixture& fx_;
  std::map<std::string, std::string> expected_;  // snapshot id → describe_tree(src)
};

// Blobs (chunks and listings) that `snapshots` reference, found by walking them with
// browse.h (independently of prune's own marking).
std::set<repo::BlobId> referenced(const repo::Repository& repo,
                                  const std::vector<repo::SnapshotRecord>& snapshots);
// Blobs the repository's index files list.
std::set<repo::BlobId> indexed_blobs(const repo::Repository& repo);
// Whether the newest snapshot of `node` has `path` with content `xxh3`, every chunk indexed:
// what the hash store's entry vouches for.
bool holds_content(const repo::Repository& repo, const std::string& node, const std::string& path,
                   const Hash& xxh3);

// A policy of `last N` and no other rule.
repo::RetentionPolicies keep_last(int n, const std::string& node = "01_node");

}  // namespace nb::test
