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

// Objects that `snapshots` reference, found by walking them with browse.h (independently of
// prune's own marking).
std::set<Hash> referenced(const repo::Repository& repo,
                          const std::vector<repo::SnapshotRecord>& snapshots);
std::set<Hash> objects_on_disk(const repo::Repository& repo);

// A policy of `last N` and no other rule.
repo::RetentionPolicies keep_last(int n, const std::string& node = "01_node");

}  // namespace nb::test
