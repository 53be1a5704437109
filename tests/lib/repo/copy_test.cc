// Off-site copies: copy_snapshots puts into another repository (a directory, or a bucket on a
// real RGW) exactly the snapshots and blobs it lacks; the copy verifies and restores what the
// source restores, and a second copy of an unchanged source sends nothing.
#include <catch2/catch.hpp>

#include "repo/copy.h"
#include "repo/restore.h"
#include "repo/verify.h"
#include "support/rgw_fixture.h"
#include "support/snapshot_history.h"

using namespace nb;
using namespace nb::test;

namespace {

std::unique_ptr<repo::Repository> open_plain(std::unique_ptr<repo::Storage> storage) {
  repo::OpenOptions options;
  options.create = true;
  auto repo = repo::Repository::open(std::move(storage), options);
  if (!repo) FAIL(repo.error().message());
  return std::move(*repo);
}

// The restored tree of every snapshot of 01_node, by id.
std::map<std::string, std::string> restored(const repo::Repository& repo, const std::string& src) {
  std::map<std::string, std::string> out;
  auto snapshots = repo.snapshots("01_node");
  REQUIRE(snapshots);
  for (const auto& record : *snapshots) {
    TempDir target;
    auto report = repo::restore(repo, record, {}, target.path(), {});
    REQUIRE(report);
    CHECK(report->errors.empty());
    out[record.id] = describe_tree(target.path() + src);
  }
  return out;
}

void check_copies(BackupFixture& fx, repo::Repository& target) {
  fx.make_files(4);
  write_file(fx.file("big"), random_bytes(size_t{3} << 20, 21), 3600);
  REQUIRE(fx.run().ok);
  write_file(fx.file("f1"), "f1, second version", 1800);
  REQUIRE(fx.run().ok);

  auto first = repo::copy_snapshots(*fx.repo, target, {});
  REQUIRE(first);
  CHECK(first->snapshots_copied == 2);
  CHECK(first->blobs_copied > 0);
  auto verified = repo::verify(target, {});
  REQUIRE(verified);
  CHECK(verified->problems.empty());
  const auto expected = restored(*fx.repo, fx.src);
  CHECK(restored(target, fx.src) == expected);

  auto again = repo::copy_snapshots(*fx.repo, target, {});
  REQUIRE(again);
  CHECK(again->snapshots_copied == 0);
  CHECK(again->snapshots_present == 2);
  CHECK(again->blobs_copied == 0);

  // One more backup: the next copy sends that snapshot and only the changed file's blobs.
  write_file(fx.file("f2"), "f2, second version", 1700);
  REQUIRE(fx.run().ok);
  auto third = repo::copy_snapshots(*fx.repo, target, {});
  REQUIRE(third);
  CHECK(third->snapshots_copied == 1);
  CHECK(third->blobs_copied <= 3);  // the new content, and the listings above it
  CHECK(restored(target, fx.src) == restored(*fx.repo, fx.src));
}

}  // namespace

TEST_CASE("copy to a local directory: verifies, restores, and is incremental", "[copy]") {
  BackupFixture fx(local_node());
  TempDir dir;
  auto target = open_plain(repo::open_local_storage(dir.path()));
  check_copies(fx, *target);
}

TEST_CASE("copy from S3 to a second bucket: verifies, restores, and is incremental", "[s3][copy]") {
  auto& rgw = RgwServer::instance();
  BackupFixture fx(local_node(), rgw.open(rgw.new_bucket(), "main/"));
  auto target = open_plain(rgw.open(rgw.new_bucket(), "offsite/"));
  check_copies(fx, *target);
}

TEST_CASE("copy into a repository that names blobs differently is refused before writing",
          "[copy]") {
  BackupFixture fx(local_node());
  fx.make_files(2);
  REQUIRE(fx.run().ok);
  TempDir dir;
  auto storage = repo::open_local_storage(dir.path());
  REQUIRE(repo::Repository::init(
      *storage, {.encrypt = true, .passphrase = "pw", .kdf = repo::KdfParams{1, 8 << 20}}));
  repo::OpenOptions options;
  options.passphrase = []() -> Result<std::string> { return std::string("pw"); };
  auto target = repo::Repository::open(repo::open_local_storage(dir.path()), options);
  REQUIRE(target);
  auto copied = repo::copy_snapshots(*fx.repo, **target, {});
  REQUIRE_FALSE(copied);
  CHECK(copied.error().detail().find("names blobs differently") != std::string::npos);
  CHECK((*target)->snapshots("01_node")->empty());
}

TEST_CASE("copy stopped on request keeps what it copied, and a re-run finishes it", "[copy]") {
  BackupFixture fx(local_node());
  fx.make_files(4);
  REQUIRE(fx.run().ok);
  TempDir dir;
  auto target = open_plain(repo::open_local_storage(dir.path()));
  int asked = 0;
  repo::CopyOptions options;
  options.stop_requested = [&] { return ++asked > 2; };  // after two blobs
  auto first = repo::copy_snapshots(*fx.repo, *target, options);
  REQUIRE(first);
  CHECK(first->interrupted);
  CHECK(first->snapshots_copied == 0);
  CHECK(first->blobs_copied == 2);
  CHECK_THAT(repo::copy_summary(*first), Catch::EndsWith("(interrupted)"));
  auto verified = repo::verify(*target, {});
  REQUIRE(verified);
  CHECK(verified->problems.empty());

  auto second = repo::copy_snapshots(*fx.repo, *target, {});
  REQUIRE(second);
  CHECK_FALSE(second->interrupted);
  CHECK(second->snapshots_copied == 1);
  CHECK(second->blobs_copied > 0);
  CHECK(restored(*target, fx.src) == restored(*fx.repo, fx.src));
}
