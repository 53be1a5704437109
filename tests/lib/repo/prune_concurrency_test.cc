// A backup and a prune started together on one repository: the lock orders them, whichever
// gets it first, and the result is always a verified repository whose new snapshot restores.
#include <catch2/catch.hpp>

#include <latch>
#include <thread>

#include "repo/prune.h"
#include "repo/verify.h"
#include "support/snapshot_history.h"

using namespace nb;
using namespace nb::test;

TEST_CASE("a backup and a prune started together both finish, then verify passes", "[prune]") {
  // Through the backup's own Repository (shared index) and through a second instance (as a
  // second process would).
  const bool same_instance = GENERATE(true, false);
  INFO((same_instance ? "one Repository instance" : "two Repository instances"));
  BackupFixture fx(local_node());
  SnapshotHistory history(fx);
  fx.make_files(50);
  history.backup();
  auto second = repo::Repository::open(fx.repo_dir, false);
  REQUIRE(second);
  repo::Repository& pruning = same_instance ? *fx.repo : **second;

  for (int round = 0; round < 6; ++round) {
    INFO("round " << round);
    // Each round changes a file back to content an earlier round had, which the prune may be
    // deleting right then: the backup must never count on an object the prune removes.
    write_file(fx.file("f7"), "version " + std::to_string(round % 2), 1000 - round);
    write_file(fx.file("new" + std::to_string(round)), "new file", 900);
    std::latch start(2);
    backup::JobResult backed_up;
    Result<repo::PruneReport> pruned = fail("prune", "", 0, "did not run");
    std::thread backup_thread([&] {
      start.arrive_and_wait();
      backed_up = fx.run();
    });
    std::thread prune_thread([&] {
      start.arrive_and_wait();
      pruned = repo::prune(pruning, keep_last(1), {});
    });
    backup_thread.join();
    prune_thread.join();
    REQUIRE(backed_up.ok);
    REQUIRE(pruned);
    history.remember(backed_up.snapshot_id);
    // The prune ran before or after the backup, never in between.
    const auto remaining = fx.repo->snapshots("01_node");
    REQUIRE(remaining);
    CHECK(remaining->size() <= 2);
    CHECK(remaining->back().id == backed_up.snapshot_id);
    auto report = repo::verify(*fx.repo, {});
    REQUIRE(report);
    CHECK(report->problems.empty());
    history.check_restores();
  }
}
