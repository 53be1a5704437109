// The Storage contract (lib/repo/storage/storage.h), held against every backend: a local
// directory and S3 on a real Ceph RGW. Each test is written once and runs for each of them.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>
#include <map>

#include "support/rgw_fixture.h"
#include "support/temp_dir.h"

using namespace nb;
using namespace nb::test;

namespace {

std::map<std::string, uint64_t> listed(const repo::Storage& storage, const std::string& prefix) {
  auto files = storage.list(prefix);
  if (!files) FAIL(files.error().message());
  std::map<std::string, uint64_t> out;
  for (const auto& f : *files) out[f.name] = f.size;
  return out;
}

std::string must_get(const repo::Storage& storage, const std::string& name) {
  auto data = storage.get(name);
  if (!data) FAIL(data.error().message());
  return *data;
}

}  // namespace

TEST_CASE("Storage contract: put replaces whole, get and get_range read it, missing is ENOENT",
          "[storage][s3]") {
  const std::string kind = GENERATE(as<std::string>(), "local", "s3");
  INFO(kind);
  auto storage = make_test_storage(kind);
  REQUIRE(storage->put("snapshots/n/one", "first version"));
  REQUIRE(storage->put("snapshots/n/one", "second"));
  CHECK(must_get(*storage, "snapshots/n/one") == "second");
  auto range = storage->get_range("snapshots/n/one", 2, 3);
  REQUIRE(range);
  CHECK(*range == "con");

  auto past_end = storage->get_range("snapshots/n/one", 4, 10);
  REQUIRE_FALSE(past_end);
  CHECK(past_end.error().code() == EIO);
  auto missing = storage->get("snapshots/n/absent");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code() == ENOENT);
  auto missing_range = storage->get_range("snapshots/n/absent", 0, 1);
  REQUIRE_FALSE(missing_range);
  CHECK(missing_range.error().code() == ENOENT);
  // Binary content survives as it is.
  const std::string binary = random_bytes(70000, 7) + std::string(3, '\0');
  REQUIRE(storage->put("data/ab/blob", binary));
  CHECK(must_get(*storage, "data/ab/blob") == binary);
  // Packs (data/) are read by range too, the S3 backend from a whole-pack cache.
  for (int pass = 0; pass < 2; ++pass) {
    auto part = storage->get_range("data/ab/blob", 69990, 13);
    REQUIRE(part);
    CHECK(*part == binary.substr(69990, 13));
  }
  auto pack_past_end = storage->get_range("data/ab/blob", 69990, 14);
  REQUIRE_FALSE(pack_past_end);
  CHECK(pack_past_end.error().code() == EIO);
  CHECK(storage->get_range("data/ab/absent", 0, 1).error().code() == ENOENT);
}

TEST_CASE("Storage contract: list shows exactly the names under a prefix, with their sizes",
          "[storage][s3]") {
  const std::string kind = GENERATE(as<std::string>(), "local", "s3");
  INFO(kind);
  auto storage = make_test_storage(kind);
  std::map<std::string, uint64_t> expected;
  for (int i = 0; i < 25; ++i) {
    const std::string name = "index/" + std::to_string(1000 + i);
    REQUIRE(storage->put(name, std::string(static_cast<size_t>(i), 'x')));
    expected[name] = static_cast<uint64_t>(i);
  }
  REQUIRE(storage->put("snapshots/a/s1", "s"));
  REQUIRE(storage->put("config", "c"));
  CHECK(listed(*storage, "index/") == expected);
  CHECK(listed(*storage, "snapshots/") == std::map<std::string, uint64_t>{{"snapshots/a/s1", 1}});
  CHECK(listed(*storage, "keys/").empty());
  CHECK(listed(*storage, "").size() == 27);
}

TEST_CASE("Storage contract: an S3 listing longer than a page is followed to its end",
          "[storage][s3]") {
  auto& rgw = RgwServer::instance();
  repo::s3::S3StorageOptions options;
  options.list_page_size = 7;  // 25 names: four pages
  auto storage = rgw.open(rgw.new_bucket(), "some/prefix/", options);
  for (int i = 0; i < 25; ++i) REQUIRE(storage->put("data/" + std::to_string(i), "x"));
  CHECK(listed(*storage, "data/").size() == 25);
  CHECK(storage->describe("data/1").ends_with("/some/prefix/data/1"));
}

TEST_CASE("Storage contract: remove is durable and removing a missing name succeeds",
          "[storage][s3]") {
  const std::string kind = GENERATE(as<std::string>(), "local", "s3");
  INFO(kind);
  auto storage = make_test_storage(kind);
  REQUIRE(storage->put("data/00/x", "content"));
  REQUIRE(storage->remove("data/00/x"));
  CHECK(listed(*storage, "data/").empty());
  CHECK(storage->get("data/00/x").error().code() == ENOENT);
  CHECK(storage->remove("data/00/x"));
  CHECK(storage->remove("data/00/never-there"));
}

TEST_CASE("Storage contract: a pending file is invisible until commit, then whole under its name",
          "[storage][s3]") {
  const std::string kind = GENERATE(as<std::string>(), "local", "s3");
  // 20 MiB in 1 MiB appends: on S3 a multipart upload of three parts, two of them sent while
  // the writer still appends; 100 bytes: one PUT at commit.
  const size_t size = GENERATE(size_t{100}, size_t{20} << 20);
  INFO(kind << " " << size);
  auto storage = make_test_storage(kind);
  const std::string content = random_bytes(size, 11);
  auto pending = storage->create_pending("data/");
  REQUIRE(pending);
  for (size_t at = 0; at < content.size(); at += 1 << 20) {
    REQUIRE((*pending)->append(std::string_view(content).substr(at, 1 << 20)));
  }
  CHECK(listed(*storage, "data/").empty());
  REQUIRE((*pending)->commit("data/cd/cdef"));
  CHECK(listed(*storage, "data/") == std::map<std::string, uint64_t>{{"data/cd/cdef", size}});
  CHECK(must_get(*storage, "data/cd/cdef") == content);
  pending->reset();
  auto leftovers = storage->list_incomplete();
  REQUIRE(leftovers);
  CHECK(leftovers->empty());
}

TEST_CASE("Storage contract: a pending file dropped without commit leaves nothing behind",
          "[storage][s3]") {
  const std::string kind = GENERATE(as<std::string>(), "local", "s3");
  INFO(kind);
  auto storage = make_test_storage(kind);
  {
    auto pending = storage->create_pending("data/");
    REQUIRE(pending);
    REQUIRE((*pending)->append(random_bytes(size_t{17} << 20, 3)));
    auto during = storage->list_incomplete();
    REQUIRE(during);
    CHECK(during->size() == 1);  // the temp file, or the multipart upload in progress
  }
  CHECK(listed(*storage, "").empty());
  auto after = storage->list_incomplete();
  REQUIRE(after);
  CHECK(after->empty());
}

TEST_CASE("Storage contract: leftovers of a writer are listed and removed by remove_incomplete",
          "[storage][s3]") {
  auto& rgw = RgwServer::instance();
  const std::string bucket = rgw.new_bucket();
  auto storage = rgw.open(bucket, "r/");
  // A writer that died mid-upload: its multipart upload was never completed nor aborted.
  repo::s3::S3Client client(rgw.settings(), bucket);
  auto started = client.send(repo::s3::s3_request("POST", "r/tmp/dead", {{"uploads", ""}}), "test");
  REQUIRE(started);
  REQUIRE(started->status == 200);
  auto leftovers = storage->list_incomplete();
  REQUIRE(leftovers);
  REQUIRE(leftovers->size() == 1);
  CHECK(leftovers->front().name.starts_with("tmp/dead@"));
  REQUIRE(storage->remove_incomplete(leftovers->front().name));
  auto after = storage->list_incomplete();
  REQUIRE(after);
  CHECK(after->empty());
}

TEST_CASE("Storage contract: the lock excludes prune from backups and backups from prune",
          "[storage][s3]") {
  const std::string kind = GENERATE(as<std::string>(), "local", "s3");
  INFO(kind);
  auto storage = make_test_storage(kind);
  {
    auto backup1 = storage->lock(/*exclusive=*/false, /*wait=*/false);
    REQUIRE(backup1);
    auto backup2 = storage->lock(false, false);
    REQUIRE(backup2);  // backups share it
    auto prune = storage->lock(true, false);
    REQUIRE_FALSE(prune);
    CHECK(prune.error().code() == EWOULDBLOCK);
    CHECK(prune.error().transient());
  }
  auto prune = storage->lock(true, false);
  REQUIRE(prune);
  auto backup = storage->lock(false, false);
  REQUIRE_FALSE(backup);
  CHECK(backup.error().code() == EWOULDBLOCK);
  auto second_prune = storage->lock(true, false);
  CHECK_FALSE(second_prune);
  prune->reset();
  CHECK(storage->lock(false, false));
  // Lease objects never show among the repository's files.
  CHECK(listed(*storage, "").empty());
}
