#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

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
  CHECK(std::filesystem::is_empty(fx.repo_dir + "/tmp"));  // no staging leftovers
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

TEST_CASE("verify passes a good repository and names corrupt and missing objects", "[repo]") {
  BackupFixture fx(local_node());
  fx.make_files(3);
  REQUIRE(fx.run().ok);
  auto good = repo::verify(*fx.repo, {});
  REQUIRE(good);
  CHECK(good->problems.empty());
  CHECK(good->snapshots == 1);
  CHECK(good->objects == 4);  // three contents and one listing

  const auto f0 = fx.entry(fx.file("f0"));
  const auto f1 = fx.entry(fx.file("f1"));
  std::ofstream(fx.repo->object_path(f0->hash), std::ios::app) << "bit rot";
  std::filesystem::remove(fx.repo->object_path(f1->hash));

  auto bad = repo::verify(*fx.repo, {});
  REQUIRE(bad);
  REQUIRE(bad->problems.size() == 2);
  const std::string all = bad->problems[0] + "\n" + bad->problems[1];
  CHECK_THAT(all, Catch::Contains(f0->hash.hex() + " is corrupt"));
  CHECK_THAT(all, Catch::Contains(fx.file("f1") + ": object " + f1->hash.hex() + " is missing"));
  CHECK_THAT(all, Catch::Contains("snapshot 01_node/"));

  auto fast = repo::verify(*fx.repo, {.read_data = false});
  REQUIRE(fast);
  CHECK(fast->objects == 0);
  CHECK(fast->problems.size() == 1);  // only the missing object
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
  const auto objects_before = fx.repo->list_objects()->size();
  const auto bytes_before = fx.repo_bytes();
  REQUIRE(fx.run().ok);
  CHECK(fx.repo->list_objects()->size() == objects_before);
  CHECK(fx.repo_bytes() - bytes_before <= 4096);

  write_file(fx.file("d7/f3"), "changed", 600);
  REQUIRE(fx.run().ok);
  // The changed file, its directory's listing and the root listing: nothing else.
  CHECK(fx.repo->list_objects()->size() == objects_before + 3);
}
