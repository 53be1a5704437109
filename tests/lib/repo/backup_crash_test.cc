// SIGKILL during a backup at the new on-disk steps — before a pack is put, before the index
// file naming the packs is put, before the snapshot record — leaves a repository that
// verifies (at worst with packs no index names), every earlier snapshot restorable, and a
// next run that completes and is restorable too.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>

#include "repo/prune.h"
#include "repo/verify.h"
#include "support/snapshot_history.h"

using namespace nb;
using namespace nb::test;

namespace {

struct KillPoint {
  repo::FaultPoint point;
  int occurrence;
  const char* name;
};

// Runs the fixture's backup in a forked child that SIGKILLs itself at `kill`.
int backup_killed_at(BackupFixture& fx, const KillPoint& kill) {
  // This process's index prefetch thread, finished but joined only when its future goes, would
  // be inherited by the child and reported as leaked by ThreadSanitizer when the child exits.
  fx.repo->forget_index();
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    auto repo = repo::Repository::open(fx.repo_dir, false);
    if (!repo) ::_exit(10);
    int seen = 0;
    (*repo)->set_fault_hook([&](repo::FaultPoint p) -> Result<> {
      if (p == kill.point && ++seen == kill.occurrence) ::raise(SIGKILL);
      return {};
    });
    store::HashStore store;
    const bool ok = backup::BackupJob("01_node", {fx.src}).run(*fx.fs, store, **repo).ok;
    repo->reset();  // joins its prefetch thread, which ThreadSanitizer would call leaked
    ::_exit(ok ? 0 : 11);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  return status;
}

}  // namespace

TEST_CASE("a backup killed while writing packs, index or record leaves a sound repository",
          "[backup][crash]") {
  const KillPoint kill =
      GENERATE(KillPoint{repo::FaultPoint::write_pack, 1, "before the first pack"},
               KillPoint{repo::FaultPoint::write_pack, 2, "between packs"},
               KillPoint{repo::FaultPoint::write_index, 1, "before the index file"},
               KillPoint{repo::FaultPoint::write_snapshot, 1, "before the record"});
  INFO("killed " << kill.name);
  BackupFixture fx(local_node());
  SnapshotHistory history(fx);
  fx.make_files(5);
  history.backup();
  // More than one pack's worth, so the run puts a pack before its commit.
  write_file(fx.file("big1"), random_bytes(repo::kPackTargetSize, 1));
  write_file(fx.file("big2"), random_bytes(3 << 20, 2));
  write_file(fx.file("f0"), "changed", 1800);

  const int status = backup_killed_at(fx, kill);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(WTERMSIG(status) == SIGKILL);

  auto after_kill = repo::verify(*fx.repo, {});
  REQUIRE(after_kill);
  INFO((after_kill->problems.empty() ? "" : after_kill->problems.front()));
  CHECK(after_kill->problems.empty());
  CHECK(history.check_restores() == 1);

  history.backup();  // the next run completes...
  CHECK(history.check_restores() == 2);
  auto pruned = repo::prune(*fx.repo, keep_last(5), {});  // ...and prune drops the debris
  REQUIRE(pruned);
  auto verified = repo::verify(*fx.repo, {});
  REQUIRE(verified);
  CHECK(verified->problems.empty());
  CHECK(verified->unindexed_packs == 0);
}

TEST_CASE("backups killed at a random blob, run after run, never cost an earlier snapshot",
          "[backup][crash]") {
  // The steps above, at chosen instants; here the kill falls at a random one of a run's blob
  // writes (chunks, listings, chunk-list pieces), eight runs in a row on one repository, each
  // followed by a run that completes. The seed is fixed, so a failing trial replays.
  BackupFixture fx(local_node());
  SnapshotHistory history(fx);
  fx.make_files(5);
  history.backup();
  std::mt19937 rng(12);
  int killed = 0;
  int snapshots = 1;
  for (int trial = 0; trial < 8; ++trial) {
    INFO("trial " << trial);
    write_file(fx.file("big" + std::to_string(trial % 3)),
               random_bytes(size_t(1 + trial % 3) << 20, 100 + trial));
    write_file(fx.file("f" + std::to_string(trial % 5)), "changed " + std::to_string(trial), 1800);
    const int occurrence = std::uniform_int_distribution<int>(1, 24)(rng);
    const int status =
        backup_killed_at(fx, {repo::FaultPoint::store_object, occurrence, "a random blob"});
    if (WIFSIGNALED(status)) {
      REQUIRE(WTERMSIG(status) == SIGKILL);
      ++killed;
    } else {
      // Fewer blobs than the draw: the run completed, and its snapshot is one to restore.
      REQUIRE(WIFEXITED(status));
      REQUIRE(WEXITSTATUS(status) == 0);
      auto latest = fx.repo->find_snapshot("01_node", "latest");
      REQUIRE(latest);
      history.remember(latest->id);
      ++snapshots;
    }
    // As every reader does (nodebackupctl verify and restore): the lock re-lists the index
    // files, so this process sees what the killed one committed.
    auto lock = fx.repo->lock(false);
    REQUIRE(lock);
    auto verified = repo::verify(*fx.repo, {});
    REQUIRE(verified);
    INFO((verified->problems.empty() ? "" : verified->problems.front()));
    CHECK(verified->problems.empty());
    CHECK(history.check_restores() == snapshots);
    history.backup();
    ++snapshots;
  }
  CHECK(killed > 0);
  auto pruned = repo::prune(*fx.repo, keep_last(3), {});
  REQUIRE(pruned);
  auto verified = repo::verify(*fx.repo, {});
  REQUIRE(verified);
  CHECK(verified->problems.empty());
  CHECK(verified->unindexed_packs == 0);
  CHECK(history.check_restores() == 3);
}
