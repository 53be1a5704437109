#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "repo/restore.h"
#include "repo/verify.h"
#include "support/backup_fixture.h"

using namespace nb;
using namespace nb::test;

namespace {

mode_t mode_of(const std::string& path) {
  struct ::stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("the repository is private: directories 0700, files 0600", "[repo]") {
  BackupFixture fx(local_node());
  fx.make_files(3);
  REQUIRE(fx.run().ok);
  for (const auto& e : std::filesystem::recursive_directory_iterator(fx.repo_dir)) {
    INFO(e.path());
    if (e.is_directory()) CHECK(mode_of(e.path()) == 0700);
    if (e.is_regular_file()) CHECK(mode_of(e.path()) == 0600);
  }
  CHECK(mode_of(fx.repo_dir) == 0700);
  CHECK(fx.repo->storage().list_incomplete()->empty());  // no staging leftovers
}

TEST_CASE("identical content is stored once, across files and runs", "[repo]") {
  BackupFixture fx(local_node());
  write_file(fx.file("a"), "same bytes");
  write_file(fx.file("b"), "same bytes");
  const auto result = fx.run();
  REQUIRE(result.ok);
  CHECK(result.counts.bytes_read == 20);
  CHECK(result.counts.bytes_stored == 10);
}

TEST_CASE("verify passes a good repository and names corrupt blobs and missing packs", "[repo]") {
  BackupFixture fx(local_node());
  fx.make_files(3);
  REQUIRE(fx.run().ok);
  auto good = repo::verify(*fx.repo, {});
  REQUIRE(good);
  CHECK(good->problems.empty());
  CHECK(good->snapshots == 1);
  CHECK(good->blobs == 4);  // three contents and one listing
  CHECK(good->packs == 2);  // one of data, one of listings
  CHECK(good->packs_read == 2);

  // One flipped byte inside f0's blob.
  const auto f0 = fx.repo->blob_id("content of file 0\n");
  const auto where = fx.repo->locate(f0);
  REQUIRE(where);
  const std::string pack = fx.repo_dir + "/" + repo::pack_name(where->pack_id);
  {
    std::fstream file(pack, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(where->offset + 3);
    file.put('\x5a');
  }
  auto bad = repo::verify(*fx.repo, {});
  REQUIRE(bad);
  std::string all;
  for (const auto& p : bad->problems) all += p + "\n";
  CHECK_THAT(all, Catch::Contains("blob " + f0.hex()));
  CHECK_THAT(all, Catch::Contains("corrupt"));

  // Restore refuses f0 and restores the rest.
  TempDir target;
  auto latest = fx.repo->find_snapshot("01_node", "latest");
  REQUIRE(latest);
  auto restored = repo::restore(*fx.repo, *latest, {}, target.path(), {});
  REQUIRE(restored);
  REQUIRE(restored->errors.size() == 1);
  CHECK_THAT(restored->errors[0].message(), Catch::Contains(fx.file("f0")));
  CHECK_FALSE(std::filesystem::exists(target.path() + fx.file("f0")));
  CHECK(read_whole(target.path() + fx.file("f1")) == "content of file 1\n");

  // Without reading data the flip goes unseen; a missing pack does not.
  auto fast = repo::verify(*fx.repo, {.read_data = false, .read_data_percent = 100, .day = {}});
  REQUIRE(fast);
  CHECK(fast->packs_read == 0);
  CHECK(fast->problems.empty());
  std::filesystem::remove(pack);
  auto missing = repo::verify(*fx.repo, {.read_data = false, .read_data_percent = 100, .day = {}});
  REQUIRE(missing);
  REQUIRE_FALSE(missing->problems.empty());
  CHECK_THAT(missing->problems.front(), Catch::Contains(pack + " is missing"));
}

TEST_CASE("opening a directory that is not a repository fails clearly", "[repo]") {
  TempDir dir;
  write_file(dir / "stuff/file", "x");
  auto repo = repo::Repository::open(dir / "stuff", true);
  REQUIRE_FALSE(repo);
  CHECK_THAT(repo.error().message(), Catch::Contains(dir / "stuff"));
  auto missing = repo::Repository::open(dir / "nothing", false);
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error().message(), Catch::Contains("not a nodebackup repository"));
}

TEST_CASE("a no-change run stores no listing: unchanged directories are shared", "[repo]") {
  BackupFixture fx(local_node());
  for (int d = 0; d < 20; ++d) {
    for (int f = 0; f < 20; ++f) {
      write_file(fx.file("d" + std::to_string(d) + "/f" + std::to_string(f)),
                 "x" + std::to_string(f));
    }
  }
  REQUIRE(fx.run().ok);
  const auto objects_before = fx.repo->list_blobs()->size();
  const auto bytes_before = fx.repo_bytes();
  REQUIRE(fx.run().ok);
  CHECK(fx.repo->list_blobs()->size() == objects_before);
  CHECK(fx.repo_bytes() - bytes_before <= 4096);

  write_file(fx.file("d7/f3"), "changed", 600);
  REQUIRE(fx.run().ok);
  // The changed file, its directory's listing and the root listing: nothing else.
  CHECK(fx.repo->list_blobs()->size() == objects_before + 3);
}

TEST_CASE("verify --read-data-subset reads a different slice each day and all of it in k days",
          "[repo]") {
  BackupFixture fx(local_node());
  for (int i = 0; i < 8; ++i) {
    write_file(fx.file("f" + std::to_string(i)), "run " + std::to_string(i), 1000 + i);
    REQUIRE(fx.run().ok);  // a data pack and a listing pack per run
  }
  auto all = repo::verify(*fx.repo, {});
  REQUIRE(all);
  REQUIRE(all->packs == 16);
  uint64_t read = 0;
  for (int64_t day = 100; day < 104; ++day) {  // 25 %: four groups, four days
    auto slice = repo::verify(*fx.repo, {.read_data = true, .read_data_percent = 25, .day = day});
    REQUIRE(slice);
    CHECK(slice->problems.empty());
    CHECK(slice->packs_read < all->packs);
    read += slice->packs_read;
  }
  CHECK(read == all->packs);
}
