// How a run finds the unchanged files' chunk lists (backup/tree_builder.h): a directory whose
// fingerprint matches its entry in the node's newest snapshot keeps that listing unread; a
// changed directory's old listing is read, and only the listings on the way to a change are.
// Checked for every kind of node, since what the quick check sees differs between them.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "repo/browse.h"
#include "support/backup_fixture.h"
#include "support/snapshot_history.h"

using namespace nb;
using namespace nb::test;

namespace {

const NodeUnderTest& pick_node() {
  static const auto nodes = nodes_under_test();
  const auto i = GENERATE(range(size_t{0}, nodes_under_test().size()));
  return nodes[i];
}

void make_tree(BackupFixture& fx) {
  write_file(fx.file("a/b/c/one"), "one");
  write_file(fx.file("a/b/c/two"), "two");
  write_file(fx.file("a/b/three"), "three");
  write_file(fx.file("d/e/four"), "four");
  write_file(fx.file("d/five"), "five");
  write_file(fx.file("six"), "six");
}

repo::TreeEntry entry_at(BackupFixture& fx, const std::string& path) {
  auto record = fx.repo->find_snapshot("01_node", "latest");
  REQUIRE(record);
  auto entry = repo::find_entry(*fx.repo, *record, path);
  REQUIRE(entry);
  return *entry;
}

}  // namespace

TEST_CASE("a no-change run keeps the newest snapshot's listings without reading one",
          "[repo][listings]") {
  const auto& node = pick_node();
  INFO("node filesystem: " << node.name);
  BackupFixture fx(node);
  make_tree(fx);
  REQUIRE(fx.run().ok);
  const auto root = entry_at(fx, fx.src);

  const auto second = fx.run();
  REQUIRE(second.ok);
  CHECK(second.counts.unchanged == 6);
  CHECK(second.listings_kept == 1);  // the root: nothing below it is looked at
  CHECK(second.listings_read == 0);
  CHECK(entry_at(fx, fx.src).tree == root.tree);
  CHECK(entry_at(fx, fx.src).fingerprint == root.fingerprint);
}

TEST_CASE("a change reads the old listings on its way only and keeps the others",
          "[repo][listings]") {
  const auto& node = pick_node();
  INFO("node filesystem: " << node.name);
  BackupFixture fx(node);
  SnapshotHistory history(fx);
  make_tree(fx);
  history.backup();
  const auto d = entry_at(fx, fx.src + "/d");
  const auto c = entry_at(fx, fx.src + "/a/b/c");

  write_file(fx.file("a/b/c/one"), "one, changed", 1800);
  const auto changed = fx.run();
  REQUIRE(changed.ok);
  CHECK(changed.counts.changed == 1);
  CHECK(changed.counts.unchanged == 5);
  CHECK(changed.counts.bytes_read == std::string("one, changed").size());
  CHECK(changed.listings_read == 4);  // the root, a, a/b and a/b/c
  CHECK(changed.listings_kept == 1);  // d (and everything below it)
  CHECK(entry_at(fx, fx.src + "/d").tree == d.tree);
  CHECK(entry_at(fx, fx.src + "/a/b/c").tree != c.tree);
  // The unchanged file beside the change kept its chunks: it restores (compared with the
  // source to the nanosecond, which SFTP's whole-second mtimes cannot be).
  if (node.name != "sftp") {
    history.remember(fx.repo->find_snapshot("01_node", "latest")->id);
    CHECK(history.check_restores() == 2);
  }
}

TEST_CASE("a mode change the quick check does not see still reaches the listing",
          "[repo][listings]") {
  const auto& node = pick_node();
  INFO("node filesystem: " << node.name);
  BackupFixture fx(node);
  make_tree(fx);
  REQUIRE(fx.run().ok);
  REQUIRE(::chmod(fx.file("d/e/four").c_str(), 0444) == 0);  // still readable by the ssh user

  const auto second = fx.run();
  REQUIRE(second.ok);
  // Over SFTP (size and mtime only) the file passes the quick check; locally its ctime moved
  // and it is read. Either way the listing records the new mode.
  CHECK(second.counts.bytes_stored == 0);
  CHECK((entry_at(fx, fx.src + "/d/e/four").mode & 07777) == 0444);
}

TEST_CASE("a listing without a fingerprint (a migrated one) is read, then gains one",
          "[repo][listings]") {
  BackupFixture fx(local_node());
  make_tree(fx);
  REQUIRE(fx.run().ok);
  // The newest snapshot as migrate writes it: the roots' entries without fingerprints.
  auto record = fx.repo->find_snapshot("01_node", "latest");
  REQUIRE(record);
  for (auto& root : record->roots) root.entry.fingerprint.reset();
  REQUIRE(fx.repo->remove_snapshot("01_node", record->id));
  REQUIRE(fx.repo->write_snapshot(*record));

  const auto second = fx.run();
  REQUIRE(second.ok);
  CHECK(second.counts.unchanged == 6);
  CHECK(second.counts.bytes_read == 0);
  CHECK(second.listings_read == 1);  // the root; its subdirectories' entries have theirs
  CHECK(second.listings_kept == 2);  // a and d, named in the root listing with theirs
  CHECK(entry_at(fx, fx.src).fingerprint);
  const auto third = fx.run();
  CHECK(third.listings_kept == 1);
  CHECK(third.listings_read == 0);
}
