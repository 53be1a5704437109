// SIGKILL during prune, at several points (rewriting packs, replacing the index, deleting
// index files, packs and leftovers): the repository still verifies, every remaining snapshot
// restores, and a second prune finishes the job. The prune runs in a forked child
// whose fault hook kills it; the parent inspects what is left on disk.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "repo/prune.h"
#include "repo/verify.h"
#include "support/snapshot_history.h"

using namespace nb;
using namespace nb::test;

namespace {

struct KillPoint {
  repo::FaultPoint point;
  int occurrence;  // killed when the point is reached for this time
  const char* name;
};

// Forks a child that prunes `repo_dir` and is SIGKILLed at `kill`; returns its wait status.
int prune_killed_at(const std::string& repo_dir, const KillPoint& kill) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // The child: no Catch2 here, only the library and _exit.
    auto repo = repo::Repository::open(repo_dir, false);
    if (!repo) ::_exit(10);
    int seen = 0;
    (*repo)->set_fault_hook([&](repo::FaultPoint p) -> Result<> {
      if (p == kill.point && ++seen == kill.occurrence) ::raise(SIGKILL);
      return {};
    });
    auto report = repo::prune(**repo, keep_last(2), {});
    ::_exit(report ? 0 : 11);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  return status;
}

// Packs no index names: what a killed prune leaves for the next one, which must leave none.
uint64_t after_finish_unindexed(const repo::Repository& repo) {
  auto report = repo::verify(repo, {.read_data = false, .read_data_percent = 100, .day = {}});
  REQUIRE(report);
  return report->unindexed_packs;
}

}  // namespace

TEST_CASE("prune killed at any point leaves a verified repository and a second prune finishes",
          "[prune][crash]") {
  const KillPoint kill =
      GENERATE(KillPoint{repo::FaultPoint::prune_remove_snapshot, 1, "before the first record"},
               KillPoint{repo::FaultPoint::prune_remove_snapshot, 3, "between records"},
               KillPoint{repo::FaultPoint::prune_write_pack, 1, "before a rewritten pack"},
               KillPoint{repo::FaultPoint::prune_write_index, 1, "before the new index"},
               KillPoint{repo::FaultPoint::prune_delete_index, 1, "before the old index"},
               KillPoint{repo::FaultPoint::prune_delete_object, 1, "before the first pack"},
               KillPoint{repo::FaultPoint::prune_delete_object, 3, "among the packs"},
               KillPoint{repo::FaultPoint::prune_delete_temp, 2, "among the temp files"});
  INFO("killed " << kill.name);
  BackupFixture fx(local_node());
  SnapshotHistory history(fx);
  fx.make_files(10);
  history.backup();
  for (int i = 0; i < 5; ++i) {
    write_file(fx.file("f" + std::to_string(i)), "version " + std::to_string(i), 1000 + i);
    write_file(fx.file("d" + std::to_string(i) + "/g"), "in a directory", 1000);
    history.backup();
  }
  write_file(fx.repo_dir + "/data/00/pack.tmp.1.1", "a writer died");
  write_file(fx.repo_dir + "/index/ab.tmp.1.2", "y");
  auto dry = repo::prune(*fx.repo, keep_last(2), {.node = {}, .dry_run = true});
  REQUIRE(dry);
  REQUIRE(dry->snapshots_removed == 4);
  REQUIRE(dry->objects_removed >= 8);

  const int status = prune_killed_at(fx.repo_dir, kill);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(WTERMSIG(status) == SIGKILL);

  auto after_kill = repo::verify(*fx.repo, {});
  REQUIRE(after_kill);
  INFO((after_kill->problems.empty() ? "" : after_kill->problems.front()));
  CHECK(after_kill->problems.empty());
  history.check_restores();

  auto finish = repo::prune(*fx.repo, keep_last(2), {});
  REQUIRE(finish);
  auto remaining = fx.repo->snapshots("01_node");
  REQUIRE(remaining);
  CHECK(remaining->size() == 2);
  // Everything the interrupted prune meant to delete is gone, nothing else.
  CHECK(indexed_blobs(*fx.repo) == referenced(*fx.repo, *remaining));
  CHECK(fx.repo->storage().list_incomplete()->empty());
  CHECK(after_finish_unindexed(*fx.repo) == 0);
  CHECK(history.check_restores() == 2);
  auto verified = repo::verify(*fx.repo, {});
  REQUIRE(verified);
  CHECK(verified->problems.empty());
}
