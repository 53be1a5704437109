// The commit order (DESIGN §3): objects durable → snapshot record durable → write-back. A
// failure anywhere before the end leaves the store without the new entry, so the next run
// backs the file up again: the store never claims content the repository does not hold. The
// order does not depend on the kind of node, so these run on the in-memory one.
#include <catch2/catch.hpp>

#include "support/backup_fixture.h"

using namespace nb;
using namespace nb::test;

TEST_CASE("a fault while storing leaves the store without the new entry", "[commit]") {
  const auto point = GENERATE(repo::FaultPoint::store_object, repo::FaultPoint::commit_objects,
                              repo::FaultPoint::write_snapshot);
  INFO("fault at point " << static_cast<int>(point));
  BackupFixture fx;
  fx.make_files(3);
  REQUIRE(fx.run().ok);
  const auto before = fx.entry(fx.file("f1"));
  const auto snapshots_before = fx.repo->snapshots("01_node")->size();

  fx.write("f1", "changed content", 1800);
  fx.repo->set_fault_hook([point](repo::FaultPoint p) -> Result<> {
    if (p == point) return fail("inject", "repo", ENOSPC);
    return {};
  });
  const auto failed = fx.run();
  CHECK_FALSE(failed.ok);
  REQUIRE(failed.error);
  CHECK(failed.error->code() == ENOSPC);
  CHECK(fx.entry(fx.file("f1")) == before);
  CHECK(fx.repo->snapshots("01_node")->size() == snapshots_before);

  fx.repo->set_fault_hook({});
  const auto retry = fx.run();
  REQUIRE(retry.ok);
  CHECK(fx.fs->reads == std::multiset<std::string>{fx.file("f1")});
  CHECK(retry.counts.changed == 1);
  CHECK(fx.entry(fx.file("f1"))->hash == Hash::of("changed content", 15));
}

TEST_CASE("a failed first run writes nothing back and the next run backs everything up",
          "[commit]") {
  BackupFixture fx;
  fx.make_files(4);
  fx.repo->set_fault_hook([](repo::FaultPoint p) -> Result<> {
    if (p == repo::FaultPoint::write_snapshot) return fail("inject", "repo", EIO);
    return {};
  });
  CHECK_FALSE(fx.run().ok);
  CHECK(fx.store.stats().entries == 0);
  CHECK_FALSE(fx.store.stats().dirty);
  fx.repo->set_fault_hook({});
  const auto retry = fx.run();
  REQUIRE(retry.ok);
  CHECK(retry.counts.added == 4);
  CHECK(fx.store.stats().entries == 4);
}

TEST_CASE("a long run checkpoints: partial snapshots, write-back, and a stop resumes later",
          "[commit]") {
  BackupFixture fx;
  fx.make_files(6);
  fx.options.read_batch_files = 2;
  fx.options.checkpoint_bytes = 1;  // commit after every batch
  int batches = 0;
  fx.fs->before_batch = [&] { ++batches; };
  fx.options.stop_requested = [&] { return batches >= 2; };

  const auto stopped = fx.run();
  CHECK_FALSE(stopped.ok);
  CHECK(stopped.interrupted);
  CHECK(stopped.counts.added == 4);
  CHECK(fx.store.stats().entries == 4);
  auto list = fx.repo->snapshots("01_node");
  REQUIRE(list);
  REQUIRE_FALSE(list->empty());
  for (const auto& s : *list) CHECK(s.partial);
  CHECK_FALSE(fx.repo->find_snapshot("01_node", "latest"));

  fx.options.stop_requested = {};
  const auto resumed = fx.run();
  REQUIRE(resumed.ok);
  CHECK(resumed.counts.added == 2);
  CHECK(resumed.counts.unchanged == 4);
  CHECK(fx.fs->reads.size() == 2);
  auto latest = fx.repo->find_snapshot("01_node", "latest");
  REQUIRE(latest);
  CHECK_FALSE(latest->partial);
}

TEST_CASE("checkpoints of a run that completes are superseded by its final snapshot", "[commit]") {
  BackupFixture fx;
  fx.make_files(6);
  fx.options.read_batch_files = 2;
  fx.options.checkpoint_bytes = 1;
  const auto result = fx.run();
  REQUIRE(result.ok);
  auto list = fx.repo->snapshots("01_node");
  REQUIRE(list);
  REQUIRE(list->size() == 1);
  CHECK_FALSE(list->front().partial);
  CHECK(list->front().counts.added == 6);
}
