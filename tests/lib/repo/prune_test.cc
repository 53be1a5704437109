// Prune: exactly the unreferenced blobs leave the index, packs are deleted or rewritten by
// their unused share, every kept snapshot still restores, and the repository's lock and index
// keep backups correct around it.
#include <catch2/catch.hpp>

#include <filesystem>

#include "repo/prune.h"
#include "repo/verify.h"
#include "support/snapshot_history.h"

using namespace nb;
using namespace nb::test;

namespace {

void require_verified(const repo::Repository& repo) {
  auto report = repo::verify(repo, {});
  REQUIRE(report);
  INFO((report->problems.empty() ? std::string() : report->problems.front()));
  CHECK(report->problems.empty());
}

}  // namespace

TEST_CASE("prune frees exactly the unreferenced objects and kept snapshots restore identically",
          "[prune]") {
  BackupFixture fx(local_node());
  SnapshotHistory history(fx);
  fx.make_files(3);
  history.backup();  // S1: f0 v1, f1, f2, listing L1
  write_file(fx.file("f0"), "f0 version 2", 1800);
  history.backup();  // S2: f0 v2, listing L2
  write_file(fx.file("f0"), "f0 version 3", 1700);
  history.backup();  // S3: f0 v3, listing L3
  write_file(fx.file("f3"), "a new file", 1600);
  history.backup();  // S4: f3, listing L4
  const auto before = indexed_blobs(*fx.repo);
  REQUIRE(before.size() == 3 + 2 + 2 + 2 + 1);

  auto report = repo::prune(*fx.repo, keep_last(2), {});
  REQUIRE(report);
  // Only S1 and S2 referenced f0 v1, f0 v2, L1 and L2.
  CHECK(report->snapshots_removed == 2);
  CHECK(report->snapshots_kept == 2);
  CHECK(report->objects_removed == 4);
  CHECK(report->objects_kept == before.size() - 4);
  CHECK(report->temps_removed == 0);
  const auto after = indexed_blobs(*fx.repo);
  CHECK(after.size() == before.size() - 4);
  auto remaining = fx.repo->snapshots("01_node");
  REQUIRE(remaining->size() == 2);
  CHECK(after == referenced(*fx.repo, *remaining));
  CHECK(history.check_restores() == 2);
  require_verified(*fx.repo);

  auto again = repo::prune(*fx.repo, keep_last(2), {});
  REQUIRE(again);
  CHECK(again->snapshots_removed == 0);
  CHECK(again->objects_removed == 0);
  CHECK(again->bytes_freed == 0);
}

TEST_CASE("a dry run deletes nothing and predicts exactly what prune then removes", "[prune]") {
  BackupFixture fx(local_node());
  SnapshotHistory history(fx);
  fx.make_files(5);
  for (int i = 0; i < 4; ++i) {
    write_file(fx.file("f1"), "f1 version " + std::to_string(i), 1000 + i);
    history.backup();
  }
  write_file(fx.repo_dir + "/data/00/pack.tmp.1.1", "died while writing a pack");
  const uint64_t bytes_before = fx.repo_bytes();
  const auto objects_before = indexed_blobs(*fx.repo);

  auto dry = repo::prune(*fx.repo, keep_last(1), {.node = {}, .dry_run = true});
  REQUIRE(dry);
  CHECK(dry->dry_run);
  CHECK(dry->snapshots_removed == 3);
  CHECK(dry->objects_removed == 6);  // three old f1 versions and their listings
  CHECK(dry->temps_removed == 1);
  CHECK(fx.repo_bytes() == bytes_before);
  CHECK(indexed_blobs(*fx.repo) == objects_before);
  CHECK(fx.repo->snapshots("01_node")->size() == 4);

  auto real = repo::prune(*fx.repo, keep_last(1), {});
  REQUIRE(real);
  CHECK(real->snapshots_removed == dry->snapshots_removed);
  CHECK(real->objects_removed == dry->objects_removed);
  CHECK(real->temps_removed == dry->temps_removed);
  CHECK(real->bytes_freed == dry->bytes_freed);
  CHECK(dry->bytes_written == 0);
  // What prune adds: the rewritten packs and the index file that replaces the old ones.
  CHECK(fx.repo_bytes() == bytes_before - real->bytes_freed + real->bytes_written);
  REQUIRE(dry->nodes.size() == 1);
  CHECK(dry->nodes[0].snapshots.back().keep);
  CHECK(dry->nodes[0].snapshots.back().reasons == std::vector<std::string>{"latest", "last"});
}

TEST_CASE("prune deletes the temp files of writers that died", "[prune]") {
  BackupFixture fx(local_node());
  fx.make_files(2);
  REQUIRE(fx.run().ok);
  const std::string staged = fx.repo_dir + "/data/ab/ab12.tmp.4242.7";
  write_file(staged, "x");
  write_file(fx.repo_dir + "/index/cd34.tmp.4242.8", "half an index");
  write_file(fx.repo_dir + "/snapshots/01_node/20261129T100000Z-abcdef.tmp.4242.9", "{");
  write_file(fx.repo_dir + "/config.tmp.4242.10", "");

  auto report = repo::prune(*fx.repo, keep_last(1), {});
  REQUIRE(report);
  CHECK(report->temps_removed == 4);
  CHECK_FALSE(std::filesystem::exists(staged));
  CHECK(fx.repo->storage().list_incomplete()->empty());
  CHECK(fx.repo->snapshots("01_node")->size() == 1);
  require_verified(*fx.repo);
}

TEST_CASE("prune leaves the snapshots of other nodes and of unconfigured nodes alone", "[prune]") {
  BackupFixture fx(local_node());
  fx.make_files(2);
  for (int i = 0; i < 3; ++i) {
    write_file(fx.file("f0"), "v" + std::to_string(i), 1000 + i);
    REQUIRE(fx.run().ok);
  }
  // The same node's records copied under another node id, as if that node were removed
  // from the configuration.
  const auto records = fx.repo->snapshots("01_node");
  REQUIRE(records);
  for (auto record : *records) {
    record.node = "gone_node";
    REQUIRE(fx.repo->write_snapshot(record));
  }
  auto report = repo::prune(*fx.repo, keep_last(1), {});
  REQUIRE(report);
  CHECK(report->snapshots_removed == 2);
  CHECK(report->objects_removed == 0);  // gone_node still references every version
  CHECK(fx.repo->snapshots("gone_node")->size() == 3);

  auto only_other = repo::prune(*fx.repo, keep_last(1, "gone_node"), {.node = "01_node"});
  REQUIRE(only_other);
  CHECK(only_other->snapshots_removed == 0);
  auto both = repo::prune(*fx.repo, keep_last(1, "gone_node"), {.node = "gone_node"});
  REQUIRE(both);
  CHECK(both->snapshots_removed == 2);
  CHECK(both->objects_removed == 4);
  require_verified(*fx.repo);
}

TEST_CASE("a backup after a prune in another process stores content the prune deleted", "[prune]") {
  // The backup's Repository has its object index loaded; a prune through a second instance
  // (as nodebackupctl prune beside a running daemon) deletes an object that index lists.
  BackupFixture fx(local_node());
  SnapshotHistory history(fx);
  write_file(fx.file("f"), "old content");
  history.backup();
  write_file(fx.file("f"), "new content", 1800);
  history.backup();
  const auto old_id = fx.repo->blob_id("old content");
  REQUIRE(fx.repo->has_blob(old_id));  // the index is loaded and lists it

  auto other = repo::Repository::open(fx.repo_dir, false);
  REQUIRE(other);
  auto report = repo::prune(**other, keep_last(1), {});
  REQUIRE(report);
  REQUIRE(report->objects_removed == 2);

  write_file(fx.file("f"), "old content", 1700);
  const auto id = history.backup();
  CHECK(fx.repo->snapshots("01_node")->back().counts.bytes_stored == 11);
  CHECK(fx.repo->has_blob(old_id));
  CHECK(indexed_blobs(*fx.repo).contains(old_id));
  require_verified(*fx.repo);
  CHECK(history.check_restores() == 2);
}

TEST_CASE("prune and backup exclude each other through the repository lock", "[prune]") {
  BackupFixture fx(local_node());
  fx.make_files(4);
  REQUIRE(fx.run().ok);
  write_file(fx.file("f1"), "changed", 1800);
  auto other = repo::Repository::open(fx.repo_dir, false);
  REQUIRE(other);

  // While the backup holds the lock shared, a prune that will not wait is refused...
  std::optional<Error> refused;
  fx.fs->before_batch = [&] {
    auto r =
        repo::prune(**other, keep_last(1), {.node = {}, .dry_run = false, .wait_for_lock = false});
    if (!r) refused = r.error();
  };
  REQUIRE(fx.run().ok);
  REQUIRE(refused);
  CHECK(refused->code() == EWOULDBLOCK);
  CHECK(refused->transient());
  fx.fs->before_batch = {};

  // ...and while prune deletes, a backup cannot take the lock.
  std::optional<Error> blocked;
  (*other)->set_fault_hook([&](repo::FaultPoint p) -> Result<> {
    if (p == repo::FaultPoint::prune_delete_object && !blocked) {
      auto lock = fx.repo->lock(/*exclusive=*/false, /*wait=*/false);
      blocked = lock ? Error("lock", "", 0, "was granted") : lock.error();
    }
    return {};
  });
  auto report = repo::prune(**other, keep_last(1), {});
  REQUIRE(report);
  REQUIRE(blocked);
  CHECK(blocked->code() == EWOULDBLOCK);
}
