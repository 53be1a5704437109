// The rows of DESIGN §3's table that are about trouble: files that change while read, special
// files, unreadable and vanishing files, racy timestamps, metadata-only changes.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>

#include "support/backup_fixture.h"
#include "support/snapshot_history.h"

using namespace nb;
using namespace nb::test;

TEST_CASE("a file that keeps changing while read is stored but not written back", "[edge]") {
  BackupFixture fx(local_node());
  fx.make_files(3);
  write_file(fx.file("busy.log"), std::string(1000, 'x'));
  fx.fs->while_reading = [&](const std::string& path) {
    if (path == fx.file("busy.log")) append_file(path, "more\n");
  };
  const auto result = fx.run();
  REQUIRE(result.ok);
  CHECK(fx.fs->reads.count(fx.file("busy.log")) == 3);  // first read and two retries
  CHECK_FALSE(fx.entry(fx.file("busy.log")));
  CHECK(result.not_written_back == std::vector<std::string>{fx.file("busy.log")});
  CHECK(fx.entry(fx.file("f0")));

  // Its content is in the snapshot all the same.
  auto latest = fx.repo->find_snapshot("01_node", "latest");
  REQUIRE(latest);
  fx.fs->while_reading = {};
  const auto next = fx.run();
  REQUIRE(next.ok);
  CHECK(fx.fs->reads == std::multiset<std::string>{fx.file("busy.log")});
  CHECK(fx.entry(fx.file("busy.log")));
}

TEST_CASE("a file that changes once while read is read again and written back", "[edge]") {
  BackupFixture fx(local_node());
  write_file(fx.file("settling"), "v1");
  bool changed_once = false;
  fx.fs->while_reading = [&](const std::string& path) {
    if (changed_once) return;
    changed_once = true;
    write_file(path, "v2, final", 600);
  };
  const auto result = fx.run();
  REQUIRE(result.ok);
  CHECK(fx.fs->reads.count(fx.file("settling")) == 2);
  const auto entry = fx.entry(fx.file("settling"));
  REQUIRE(entry);
  CHECK(entry->hash == Hash::of("v2, final", 9));
  CHECK(result.not_written_back.empty());
}

TEST_CASE("a fifo in the tree is skipped and never opened", "[edge]") {
  BackupFixture fx(local_node());
  fx.make_files(2);
  REQUIRE(::mkfifo(fx.file("pipe").c_str(), 0600) == 0);
  const auto result = fx.run();  // would block forever if the fifo were opened
  REQUIRE(result.ok);
  CHECK(result.counts.skipped == 1);
  CHECK(result.counts.scanned == 2);
  CHECK(fx.fs->reads.count(fx.file("pipe")) == 0);
}

TEST_CASE("an unreadable file is a warning, counted, and the job goes on", "[edge]") {
  BackupFixture fx(local_node());
  fx.make_files(3);
  fx.fs->fail_with_errno[fx.file("f1")] = EACCES;
  const auto result = fx.run();
  REQUIRE(result.ok);
  CHECK(result.counts.errors == 1);
  CHECK(result.counts.added == 2);
  CHECK(result.not_written_back == std::vector<std::string>{fx.file("f1")});
  CHECK_FALSE(fx.entry(fx.file("f1")));
  CHECK(fx.entry(fx.file("f2")));

  fx.fs->fail_with_errno.clear();
  const auto next = fx.run();
  REQUIRE(next.ok);
  CHECK(fx.fs->reads == std::multiset<std::string>{fx.file("f1")});
}

TEST_CASE("a file that vanishes between walk and read is a warning, and the job goes on",
          "[edge]") {
  BackupFixture fx(local_node());
  fx.make_files(3);
  fx.fs->before_batch = [&] { std::filesystem::remove(fx.file("f2")); };
  const auto result = fx.run();
  REQUIRE(result.ok);
  CHECK(result.counts.errors == 1);
  CHECK(result.counts.added == 2);
  CHECK_FALSE(fx.entry(fx.file("f2")));
  fx.fs->before_batch = {};
  const auto next = fx.run();
  REQUIRE(next.ok);
  CHECK(next.counts.scanned == 2);
  CHECK(next.counts.unchanged == 2);
}

TEST_CASE("a racy entry is written back but read again next run", "[edge]") {
  BackupFixture fx(local_node());
  write_file(fx.file("fresh"), "just written", 0);
  REQUIRE(fx.run().ok);
  const auto entry = fx.entry(fx.file("fresh"));
  REQUIRE(entry);
  CHECK(entry->racy);

  const auto again = fx.run();
  REQUIRE(again.ok);
  CHECK(fx.fs->reads == std::multiset<std::string>{fx.file("fresh")});
  CHECK(again.counts.touched == 1);
}

TEST_CASE("a metadata-only change (ctime, via chmod) makes the file be read", "[edge]") {
  BackupFixture fx(local_node());
  fx.make_files(2);
  REQUIRE(fx.run().ok);
  REQUIRE(::chmod(fx.file("f0").c_str(), 0640) == 0);
  const auto result = fx.run();
  REQUIRE(result.ok);
  CHECK(fx.fs->reads == std::multiset<std::string>{fx.file("f0")});
  CHECK(result.counts.touched == 1);
  CHECK(result.counts.bytes_stored == 0);
}

TEST_CASE("a file whose chunks are missing from the repository is read and stored again",
          "[edge]") {
  BackupFixture fx(local_node());
  fx.make_files(2);
  REQUIRE(fx.run().ok);
  const auto entry = fx.entry(fx.file("f0"));
  REQUIRE(entry);
  // f0 and f1 share one pack: losing it loses both.
  const auto where = fx.repo->locate(fx.repo->blob_id("content of file 0\n"));
  REQUIRE(where);
  std::filesystem::remove(fx.repo_dir + "/" + repo::pack_name(where->pack_id));
  auto reopened = repo::Repository::open(fx.repo_dir, false);  // a fresh index
  REQUIRE(reopened);
  fx.repo = std::move(*reopened);
  const auto result = fx.run();
  REQUIRE(result.ok);
  CHECK(fx.fs->reads == std::multiset<std::string>{fx.file("f0"), fx.file("f1")});
  CHECK(result.counts.bytes_stored > 0);
  CHECK(holds_content(*fx.repo, "01_node", fx.file("f0"), entry->hash));
}

TEST_CASE("excluded names are neither read nor recorded", "[edge]") {
  BackupFixture fx(local_node());
  fx.make_files(2);
  write_file(fx.file("notes.swp"), "swap");
  write_file(fx.file("cache/big"), "cached");
  fx.options.exclude = {"*.swp", fx.file("cache")};
  const auto result = fx.run();
  REQUIRE(result.ok);
  CHECK(result.counts.scanned == 2);
  CHECK(fx.fs->reads.count(fx.file("notes.swp")) == 0);
  CHECK(fx.fs->reads.count(fx.file("cache/big")) == 0);
}

TEST_CASE("a missing root is an error counted in the run, other roots are backed up", "[edge]") {
  BackupFixture fx(local_node());
  fx.make_files(2);
  backup::BackupJob job("01_node", {fx.src, fx.dir / "does-not-exist"});
  const auto result = job.run(*fx.fs, fx.store, *fx.repo);
  REQUIRE(result.ok);
  CHECK(result.counts.errors == 1);
  CHECK(result.counts.added == 2);
}
