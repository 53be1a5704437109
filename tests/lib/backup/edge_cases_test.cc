// The rows of DESIGN §3's table that are about trouble: files that change while read, special
// files, unreadable and vanishing files, racy timestamps, metadata-only changes. Each runs over
// every kind of node (local, sftp, exec and the in-memory fake).
#include <catch2/catch.hpp>

#include <filesystem>

#include "support/backup_fixture.h"
#include "support/snapshot_history.h"

using namespace nb;
using namespace nb::test;

namespace {

std::string pick_world() {
  return GENERATE(from_range(fs_world_names()));
}

// Larger than what SFTP has in flight (its read-ahead is flow-controlled by the client), so a
// change made when the first chunk arrives lands while the node is still reading.
const std::string kLargerThanInFlight(8 << 20, 'x');

// Where the test's "while reading" hook runs (on the first chunk the client receives) is
// inside the node's read on local, memory and SFTP. The exec transport's tar streams ahead
// into the SSH window, and its re-stat is already queued: by the time the client sees the
// first chunk, the node may have read and re-stat the file, and then the change comes
// after the read. There the test holds the promise that is left: what is written back
// describes the content stored, and the next run catches up.
bool hook_inside_read(const BackupFixture& fx) {
  return fx.world->name() != "exec";
}

std::string hash_hex(const std::string& content) {
  return Hash::of(content.data(), content.size()).hex();
}

}  // namespace

TEST_CASE("a file that keeps changing while read is stored but not written back", "[edge]") {
  BackupFixture fx(pick_world());
  INFO("node filesystem: " << fx.world->name());
  fx.make_files(3);
  fx.write("busy.log", kLargerThanInFlight);
  std::string content = kLargerThanInFlight;
  fx.fs->while_reading = [&](const std::string& path) {
    if (path != fx.file("busy.log")) return;
    fx.append("busy.log", "more\n");
    content += "more\n";
  };
  const auto result = fx.run();
  REQUIRE(result.ok);
  CHECK(fx.entry(fx.file("f0")));
  if (hook_inside_read(fx)) {
    CHECK(fx.fs->reads.count(fx.file("busy.log")) == 3);  // first read and two retries
    CHECK_FALSE(fx.entry(fx.file("busy.log")));
    CHECK(result.not_written_back == std::vector<std::string>{fx.file("busy.log")});
  } else if (const auto e = fx.entry(fx.file("busy.log"))) {
    // Written back: as it was when the node read it, k appends in.
    const uint64_t k = (e->size - kLargerThanInFlight.size()) / 5;
    std::string read = kLargerThanInFlight;
    for (uint64_t i = 0; i < k; ++i) read += "more\n";
    CHECK(e->size == read.size());
    CHECK(e->hash.hex() == hash_hex(read));
  }

  // Its content is in the snapshot all the same.
  auto latest = fx.repo->find_snapshot("01_node", "latest");
  REQUIRE(latest);
  fx.fs->while_reading = {};
  const auto next = fx.run();
  REQUIRE(next.ok);
  CHECK(fx.fs->reads == std::multiset<std::string>{fx.file("busy.log")});
  const auto caught_up = fx.entry(fx.file("busy.log"));
  REQUIRE(caught_up);
  CHECK(caught_up->hash.hex() == hash_hex(content));
}

TEST_CASE("a file that changes once while read is read again and written back", "[edge]") {
  BackupFixture fx(pick_world());
  INFO("node filesystem: " << fx.world->name());
  fx.write("settling", kLargerThanInFlight);
  bool changed_once = false;
  fx.fs->while_reading = [&](const std::string&) {
    if (changed_once) return;
    changed_once = true;
    fx.write("settling", "v2, final", 600);
  };
  const auto result = fx.run();
  REQUIRE(result.ok);
  CHECK(result.not_written_back.empty());
  const auto entry = fx.entry(fx.file("settling"));
  REQUIRE(entry);
  if (hook_inside_read(fx) || fx.fs->reads.count(fx.file("settling")) == 2) {
    CHECK(fx.fs->reads.count(fx.file("settling")) == 2);
    CHECK(entry->hash == Hash::of("v2, final", 9));
  } else {
    // Read before the change: the entry is the first content's, and says so by its size.
    CHECK(entry->size == kLargerThanInFlight.size());
    CHECK(entry->hash.hex() == hash_hex(kLargerThanInFlight));
    fx.fs->while_reading = {};
    REQUIRE(fx.run().ok);
    CHECK(fx.fs->reads == std::multiset<std::string>{fx.file("settling")});
    CHECK(fx.entry(fx.file("settling"))->hash == Hash::of("v2, final", 9));
  }
}

TEST_CASE("a fifo in the tree is never opened: recorded where the transport can, else skipped",
          "[edge]") {
  BackupFixture fx(pick_world());
  INFO("node filesystem: " << fx.world->name());
  fx.make_files(2);
  fx.mkfifo("pipe");
  const auto result = fx.run();  // would block forever if the fifo were opened
  REQUIRE(result.ok);
  CHECK(result.counts.skipped == (fx.fs->capabilities().specials ? 0 : 1));
  CHECK(result.counts.scanned == 2);
  CHECK(fx.fs->reads.count(fx.file("pipe")) == 0);
}

TEST_CASE("an unreadable file is a warning, counted, and the job goes on", "[edge]") {
  BackupFixture fx(pick_world());
  INFO("node filesystem: " << fx.world->name());
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
  BackupFixture fx(pick_world());
  INFO("node filesystem: " << fx.world->name());
  fx.make_files(3);
  fx.fs->before_batch = [&] { fx.remove("f2"); };
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
  BackupFixture fx(pick_world());
  INFO("node filesystem: " << fx.world->name());
  fx.write("fresh", "just written", 0);
  REQUIRE(fx.run().ok);
  const auto entry = fx.entry(fx.file("fresh"));
  REQUIRE(entry);
  CHECK(entry->racy);

  const auto again = fx.run();
  REQUIRE(again.ok);
  CHECK(fx.fs->reads == std::multiset<std::string>{fx.file("fresh")});
  CHECK(again.counts.touched == 1);
}

TEST_CASE("a metadata-only change (ctime, via chmod) makes the file be read where ctime is given",
          "[edge]") {
  BackupFixture fx(pick_world());
  INFO("node filesystem: " << fx.world->name());
  fx.make_files(2);
  REQUIRE(fx.run().ok);
  fx.chmod("f0", 0444);  // still readable by the ssh nodes' unprivileged user
  const auto result = fx.run();
  REQUIRE(result.ok);
  if (fx.fs->capabilities().ctime) {
    CHECK(fx.fs->reads == std::multiset<std::string>{fx.file("f0")});
    CHECK(result.counts.touched == 1);
  } else {
    // SFTP v3 gives no ctime (declared in its capabilities): a chmod alone is invisible to
    // the quick check, the documented price of that transport (DESIGN §3).
    CHECK(fx.fs->reads.empty());
    CHECK(result.counts.unchanged == 2);
  }
  CHECK(result.counts.bytes_stored == 0);
}

TEST_CASE("a file whose chunks are missing from the repository is read and stored again",
          "[edge]") {
  BackupFixture fx(pick_world());
  INFO("node filesystem: " << fx.world->name());
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
  BackupFixture fx(pick_world());
  INFO("node filesystem: " << fx.world->name());
  fx.make_files(2);
  fx.write("notes.swp", "swap");
  fx.write("cache/big", "cached");
  fx.options.scan.exclude = {"*.swp", fx.file("cache")};
  const auto result = fx.run();
  REQUIRE(result.ok);
  CHECK(result.counts.scanned == 2);
  CHECK(fx.fs->reads.count(fx.file("notes.swp")) == 0);
  CHECK(fx.fs->reads.count(fx.file("cache/big")) == 0);
}

TEST_CASE("a missing root is an error counted in the run, other roots are backed up", "[edge]") {
  BackupFixture fx(pick_world());
  INFO("node filesystem: " << fx.world->name());
  fx.make_files(2);
  backup::BackupJob job("01_node", {fx.src, fx.src + "-does-not-exist"});
  const auto result = job.run(*fx.fs, fx.store, *fx.repo);
  REQUIRE(result.ok);
  CHECK(result.counts.errors == 1);
  CHECK(result.counts.added == 2);
}
