// The promises nodebackup exists for (DESIGN §1), checked for every kind of node: a static node
// reads and stores nothing, a changed file is read, stored and written back, and a store full
// of "MISSING" heals after one run. The in-memory node is among them, so the promises hold
// for any NodeFs that keeps the contract, not only for the three the project ships; the ssh
// transports are also run through a login shell that prints and over a 50 ms round trip.
#include <catch2/catch.hpp>

#include <filesystem>

#include "support/backup_fixture.h"
#include "support/snapshot_history.h"
#include "util/file.h"

using namespace nb;
using namespace nb::test;

namespace {

std::string pick_world() {
  return GENERATE(from_range(real_condition_world_names()));
}

}  // namespace

TEST_CASE("a static node's second run reads nothing, stores nothing, grows the repo <= 4 KiB",
          "[seed]") {
  BackupFixture fx(pick_world());
  INFO("node filesystem: " << fx.world->name());
  fx.make_files(10);
  fx.write("sub/dir/deep", "deep file");

  const auto first = fx.run();
  REQUIRE(first.ok);
  CHECK(first.counts.added == 11);
  CHECK(first.counts.bytes_stored > 0);
  const uint64_t size_after_first = fx.repo_bytes();

  const auto second = fx.run();
  REQUIRE(second.ok);
  CHECK(second.counts.scanned == 11);
  CHECK(second.counts.unchanged == 11);
  CHECK(second.counts.bytes_read == 0);
  CHECK(second.counts.bytes_stored == 0);
  CHECK(fx.fs->reads.empty());
  CHECK(fx.fs->bytes == 0);
  CHECK(fx.repo_bytes() - size_after_first <= 4096);
}

TEST_CASE("changing 1 of 10 files reads, stores and writes back exactly that file", "[seed]") {
  BackupFixture fx(pick_world());
  INFO("node filesystem: " << fx.world->name());
  fx.make_files(10);
  REQUIRE(fx.run().ok);
  const auto before = fx.entry(fx.file("f3"));
  REQUIRE(before);

  fx.write("f3", "new content of f3, longer than before\n", 1800);
  const auto changed = fx.run();
  REQUIRE(changed.ok);
  CHECK(fx.fs->reads == std::multiset<std::string>{fx.file("f3")});
  CHECK(changed.counts.changed == 1);
  CHECK(changed.counts.unchanged == 9);
  CHECK(changed.counts.bytes_stored == 38);
  const auto after = fx.entry(fx.file("f3"));
  REQUIRE(after);
  CHECK(after->hash != before->hash);
  CHECK(after->hash == Hash::of("new content of f3, longer than before\n", 38));
  CHECK(holds_content(*fx.repo, "01_node", fx.file("f3"), after->hash));

  const auto quiet = fx.run();
  REQUIRE(quiet.ok);
  CHECK(fx.fs->reads.empty());
  CHECK(quiet.counts.unchanged == 10);
  CHECK(quiet.counts.bytes_stored == 0);
}

TEST_CASE("a touched file is read once, stores nothing, then stays quiet", "[seed]") {
  BackupFixture fx(pick_world());
  INFO("node filesystem: " << fx.world->name());
  fx.make_files(10);
  REQUIRE(fx.run().ok);

  fx.touch("f5", 7200);
  const auto touched = fx.run();
  REQUIRE(touched.ok);
  CHECK(fx.fs->reads == std::multiset<std::string>{fx.file("f5")});
  CHECK(touched.counts.touched == 1);
  CHECK(touched.counts.changed == 0);
  CHECK(touched.counts.bytes_stored == 0);
  CHECK(touched.touched == std::vector<std::string>{fx.file("f5")});

  const auto quiet = fx.run();
  REQUIRE(quiet.ok);
  CHECK(fx.fs->reads.empty());
  CHECK(quiet.counts.touched == 0);
}

TEST_CASE("new and deleted files are counted, stored and dropped from the store", "[seed]") {
  BackupFixture fx(pick_world());
  INFO("node filesystem: " << fx.world->name());
  fx.make_files(3);
  REQUIRE(fx.run().ok);

  fx.write("added", "a new file");
  fx.remove("f1");
  const auto result = fx.run();
  REQUIRE(result.ok);
  CHECK(result.counts.added == 1);
  CHECK(result.counts.deleted == 1);
  CHECK(fx.fs->reads == std::multiset<std::string>{fx.file("added")});
  CHECK(fx.entry(fx.file("added")));
  CHECK_FALSE(fx.entry(fx.file("f1")));

  auto latest = fx.repo->find_snapshot("01_node", "latest");
  REQUIRE(latest);
  CHECK(latest->counts.deleted == 1);
  CHECK(latest->id == result.snapshot_id);
}

TEST_CASE("a legacy store full of MISSING heals after one run and stays quiet", "[seed]") {
  BackupFixture fx(pick_world());
  INFO("node filesystem: " << fx.world->name());
  fx.make_files(10);
  std::string legacy = "{\"01_node\": {";
  for (int i = 0; i < 10; ++i) {
    legacy += (i ? ", \"" : "\"") + fx.file("f" + std::to_string(i)) + "\": \"MISSING\"";
  }
  legacy += "}}";
  REQUIRE(write_file_durably(fx.state_dir + "/file_hashes.json", legacy));
  const auto report = fx.store.load(fx.state_dir);
  CHECK(report.legacy_values == 10);
  CHECK(fx.store.stats().untrusted == 10);

  const auto healing = fx.run();
  REQUIRE(healing.ok);
  CHECK(healing.counts.added == 10);
  CHECK(fx.fs->reads.size() == 10);
  CHECK(fx.store.stats().untrusted == 0);
  REQUIRE(fx.store.save(fx.state_dir));

  store::HashStore reloaded;
  CHECK(reloaded.load(fx.state_dir).legacy_values == 0);
  CHECK(reloaded.stats().entries == 10);
  CHECK(reloaded.stats().untrusted == 0);
  backup::BackupJob job("01_node", {fx.src});
  fx.fs->reset();
  const auto quiet = job.run(*fx.fs, reloaded, *fx.repo);
  REQUIRE(quiet.ok);
  CHECK(fx.fs->reads.empty());
  CHECK(quiet.counts.unchanged == 10);
}
