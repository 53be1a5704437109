// The repository on S3 (a real Ceph RGW) does what it does in a directory: back up, verify,
// prune, restore; and a store that goes away mid-backup fails the run cleanly.
#include <catch2/catch.hpp>

#include "repo/copy.h"
#include "repo/prune.h"
#include "repo/verify.h"
#include "support/rgw_fixture.h"
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

std::unique_ptr<repo::Repository> open_repo(std::unique_ptr<repo::Storage> storage) {
  repo::OpenOptions options;
  options.create = true;
  auto repo = repo::Repository::open(std::move(storage), options);
  if (!repo) FAIL(repo.error().message());
  return std::move(*repo);
}

}  // namespace

TEST_CASE("on S3: backups dedupe, verify, prune frees the unreferenced, snapshots restore",
          "[s3][repo]") {
  auto& rgw = RgwServer::instance();
  BackupFixture fx(local_node(), rgw.open(rgw.new_bucket(), "fleet/"));
  SnapshotHistory history(fx);
  fx.make_files(3);
  // A file of several packs: its pack goes up as a multipart upload.
  write_file(fx.file("big"), random_bytes(size_t{20} << 20, 5), 3600);
  history.backup();
  write_file(fx.file("f0"), "f0 version 2", 1800);
  history.backup();
  write_file(fx.file("f0"), "f0 version 3", 1700);
  history.backup();
  const auto before = indexed_blobs(*fx.repo);

  // A no-change run reads nothing and stores no content.
  auto same = fx.run();
  REQUIRE(same.ok);
  CHECK(same.counts.bytes_read == 0);
  CHECK(same.counts.bytes_stored == 0);
  history.remember(same.snapshot_id);
  require_verified(*fx.repo);

  auto report = repo::prune(*fx.repo, keep_last(2), {});
  REQUIRE(report);
  CHECK(report->snapshots_removed == 2);
  CHECK(report->objects_removed > 0);
  const auto after = indexed_blobs(*fx.repo);
  CHECK(after.size() < before.size());
  auto remaining = fx.repo->snapshots("01_node");
  REQUIRE(remaining);
  CHECK(after == referenced(*fx.repo, *remaining));
  CHECK(history.check_restores() == 2);
  require_verified(*fx.repo);
}

TEST_CASE("on S3: a second process's storage sees the snapshots and the content", "[s3][repo]") {
  auto& rgw = RgwServer::instance();
  const std::string bucket = rgw.new_bucket();
  BackupFixture fx(local_node(), rgw.open(bucket, "shared/"));
  fx.make_files(5);
  auto run = fx.run();
  REQUIRE(run.ok);
  auto other = open_repo(rgw.open(bucket, "shared/"));
  auto snapshots = other->snapshots("01_node");
  REQUIRE(snapshots);
  REQUIRE(snapshots->size() == 1);
  CHECK(snapshots->front().id == run.snapshot_id);
  require_verified(*other);
  // A different prefix in the same bucket is a different, empty repository.
  auto elsewhere = open_repo(rgw.open(bucket, "other/"));
  CHECK(elsewhere->snapshots("01_node")->empty());
}

TEST_CASE(
    "on S3: the store going away mid-backup fails the run, writes nothing back, and the "
    "next run completes",
    "[s3][repo]") {
  auto& rgw = RgwServer::instance();
  const std::string bucket = rgw.new_bucket();
  // This test's own gateway, so stopping it disturbs no other test.
  auto settings = rgw.settings();
  settings.endpoint = rgw.start_gateway("midrun");
  settings.attempts = 2;
  settings.first_backoff = std::chrono::milliseconds(50);
  auto storage = repo::s3::open_s3_storage(settings, {bucket, ""}, true);
  REQUIRE(storage);
  BackupFixture fx(local_node(), std::move(*storage));
  fx.make_files(4);
  REQUIRE(fx.run().ok);
  write_file(fx.file("f1"), "changed while the store is down", 1000);
  write_file(fx.file("new"), random_bytes(size_t{3} << 20, 9), 1000);
  const auto f1_before = fx.entry(fx.file("f1"));
  REQUIRE(f1_before);

  bool stopped = false;
  fx.fs->while_reading = [&](const std::string&) {
    if (!stopped) rgw.stop_gateway("midrun");
    stopped = true;
  };
  auto failed = fx.run();
  REQUIRE(stopped);
  CHECK_FALSE(failed.ok);
  REQUIRE(failed.error);
  CHECK(failed.error->message().find(settings.endpoint) != std::string::npos);
  // Nothing that was not committed reached the hash store.
  CHECK(fx.entry(fx.file("f1"))->hash == f1_before->hash);
  CHECK_FALSE(fx.entry(fx.file("new")));
  fx.fs->while_reading = nullptr;

  // The store comes back (the main gateway): the next run stores both and writes them back.
  fx.repo = open_repo(rgw.open(bucket));
  auto next = fx.run();
  REQUIRE(next.ok);
  CHECK(next.counts.changed == 1);
  CHECK(next.counts.added == 1);
  CHECK(fx.entry(fx.file("new")));
  CHECK(fx.entry(fx.file("f1"))->hash != f1_before->hash);
  require_verified(*fx.repo);
}

TEST_CASE(
    "on S3: a lease that may have lapsed stops a backup before its index and a prune "
    "before it replaces the index",
    "[s3][repo]") {
  auto& rgw = RgwServer::instance();
  const std::string bucket = rgw.new_bucket();
  BackupFixture fx(local_node(), rgw.open(bucket));
  fx.make_files(3);
  REQUIRE(fx.run().ok);
  write_file(fx.file("f1"), "f1, second version", 1800);
  REQUIRE(fx.run().ok);  // two snapshots: a prune to keep one has blobs to remove
  auto lease = fx.repo->storage().lock(/*exclusive=*/false, /*wait=*/false);
  REQUIRE(lease);
  CHECK((*lease)->check());  // a fresh lease is held
  lease->reset();

  // A lifetime of 0 s: every lease is past half its lifetime the moment it is taken, as one
  // whose renewals failed for a minute would be.
  repo::s3::S3StorageOptions lapsing;
  lapsing.lease = std::chrono::seconds(0);
  fx.repo = open_repo(rgw.open(bucket, "", lapsing));
  write_file(fx.file("f0"), "changed", 1000);
  const auto before = fx.entry(fx.file("f0"));
  auto run = fx.run();
  CHECK_FALSE(run.ok);
  REQUIRE(run.error);
  CHECK(run.error->code() == ENOLCK);
  CHECK(run.error->transient());
  CHECK(fx.entry(fx.file("f0"))->hash == before->hash);
  CHECK(fx.repo->snapshots("01_node")->size() == 2);

  // A copy into a repository whose lease lapses writes no index and no record there.
  auto offsite = open_repo(rgw.open(rgw.new_bucket(), "", lapsing));
  auto copied = repo::copy_snapshots(*fx.repo, *offsite, {});
  REQUIRE_FALSE(copied);
  CHECK(copied.error().code() == ENOLCK);
  CHECK(offsite->snapshots("01_node")->empty());
  CHECK(offsite->storage().list("index/")->empty());

  auto pruned = repo::prune(*fx.repo, keep_last(1), {});
  REQUIRE_FALSE(pruned);
  CHECK(pruned.error().code() == ENOLCK);
  require_verified(*open_repo(rgw.open(bucket)));
}
