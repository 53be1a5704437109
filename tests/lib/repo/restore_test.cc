#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "repo/restore.h"
#include "repo/verify.h"
#include "support/backup_fixture.h"

using namespace nb;
using namespace nb::test;

namespace {

// A snapshot record written by hand, as an attacker with write access to the repository
// (or a corrupted record) could: `roots` and listing names are whatever the test wants.
repo::SnapshotRecord crafted_record(repo::Repository& repo, const std::string& root_path,
                                    const std::string& child_name) {
  auto batch = repo.new_batch();
  const std::string content = "payload";
  auto chunk = batch->add(repo::BlobType::data, content);
  REQUIRE(chunk);
  repo::TreeEntry file;
  file.name = child_name;
  file.type = FileType::regular;
  file.mode = 0644;
  file.size = content.size();
  file.xxh3 = Hash::of(content.data(), content.size());
  file.content = {chunk->id};
  auto listing = batch->add(repo::BlobType::tree, repo::encode_tree({{file}}));
  REQUIRE(listing);
  REQUIRE(batch->commit());
  repo::SnapshotRecord record;
  record.id = "20261129T000000Z-evil00";
  record.node = "01_node";
  repo::TreeEntry dir;
  dir.type = FileType::directory;
  dir.mode = 0755;
  dir.tree = listing->id;
  record.roots.push_back({root_path, dir});
  REQUIRE(repo.write_snapshot(record));
  return record;
}

}  // namespace

TEST_CASE("restore equals the source: content, mode, mtime, symlinks, empty dirs", "[restore]") {
  BackupFixture fx(local_node());
  fx.make_files(4);
  write_file(fx.file("sub/deeper/file"), "deep", 86400);
  ::chmod(fx.file("f1").c_str(), 0600);
  ::chmod(fx.file("f2").c_str(), 0755);
  std::filesystem::create_directories(fx.file("empty"));
  std::filesystem::create_symlink("f0", fx.file("link"));
  std::filesystem::create_symlink("/nonexistent/target", fx.file("dangling"));
  set_mtime_age(fx.file("sub/deeper"), 5000);
  set_mtime_age(fx.file("sub"), 6000);
  set_mtime_age(fx.file("empty"), 7000);
  REQUIRE(fx.run().ok);

  auto latest = fx.repo->find_snapshot("01_node", "latest");
  REQUIRE(latest);
  const std::string target = fx.dir / "restored";
  auto report = repo::restore(*fx.repo, *latest, {}, target, {.ownership = ::geteuid() == 0});
  REQUIRE(report);
  CHECK(report->errors.empty());
  CHECK(report->files == 5);
  CHECK(report->symlinks == 2);
  CHECK(describe_tree(target + fx.src) == describe_tree(fx.src));

  SECTION("a single path restores alone") {
    const std::string one = fx.dir / "one";
    auto single = repo::restore(*fx.repo, *latest, {fx.file("sub/deeper/file")}, one, {});
    REQUIRE(single);
    CHECK(single->files == 1);
    CHECK(read_whole(one + fx.file("sub/deeper/file")) == "deep");
    CHECK_FALSE(std::filesystem::exists(one + fx.file("f0")));
  }
  SECTION("restoring over an existing tree replaces changed files") {
    write_file(target + fx.file("f0"), "stale", 10);
    auto again = repo::restore(*fx.repo, *latest, {}, target, {});
    REQUIRE(again);
    CHECK(again->errors.empty());
    CHECK(describe_tree(target + fx.src) == describe_tree(fx.src));
  }
}

TEST_CASE("restore never follows a symlink planted in the target", "[restore]") {
  BackupFixture fx(local_node());
  write_file(fx.file("secret"), "from the snapshot");
  REQUIRE(fx.run().ok);
  auto latest = fx.repo->find_snapshot("01_node", "latest");
  REQUIRE(latest);

  const std::string target = fx.dir / "target";
  const std::string outside = fx.dir / "outside";
  std::filesystem::create_directories(outside);
  // The target already holds the snapshot's directory as a symlink to elsewhere, and the file
  // as a symlink to a file elsewhere.
  std::filesystem::create_directories(std::filesystem::path(target + fx.src).parent_path());
  std::filesystem::create_directory_symlink(outside, target + fx.src);
  write_file(outside + "/victim", "untouched");
  std::filesystem::create_symlink(outside + "/victim", outside + "/secret");

  auto report = repo::restore(*fx.repo, *latest, {}, target, {});
  REQUIRE(report);
  CHECK(report->errors.empty());
  CHECK_FALSE(std::filesystem::is_symlink(target + fx.src));
  CHECK(read_whole(target + fx.file("secret")) == "from the snapshot");
  CHECK(read_whole(outside + "/victim") == "untouched");
  CHECK(std::filesystem::is_symlink(outside + "/secret"));
}

TEST_CASE("a crafted snapshot with ../ or absolute names cannot write outside the target",
          "[restore]") {
  TempDir dir;
  auto repo = repo::Repository::open(dir / "repo", true);
  REQUIRE(repo);
  const std::string target = dir / "target";
  std::filesystem::create_directories(target);

  const auto check_nothing_escaped = [&] {
    CHECK_FALSE(std::filesystem::exists(dir / "escaped"));
    CHECK_FALSE(std::filesystem::exists("/tmp/escaped-by-nodebackup-test"));
  };
  SECTION("a listing entry named ..") {
    auto record = crafted_record(**repo, "/data", "..");
    auto report = repo::restore(**repo, record, {}, target, {});
    REQUIRE(report);
    CHECK(report->errors.size() == 1);
    check_nothing_escaped();
  }
  SECTION("a listing entry with a slash") {
    auto record = crafted_record(**repo, "/data", "../../escaped");
    auto report = repo::restore(**repo, record, {}, target, {});
    REQUIRE(report);
    CHECK(report->errors.size() == 1);
    check_nothing_escaped();
  }
  SECTION("a root path climbing out") {
    auto record = crafted_record(**repo, "/../../escaped", "x");
    auto report = repo::restore(**repo, record, {}, target, {});
    REQUIRE(report);
    CHECK(report->errors.size() == 1);
    check_nothing_escaped();
  }
  SECTION("a requested path climbing out") {
    auto record = crafted_record(**repo, "/data", "x");
    auto report = repo::restore(**repo, record, {"/data/../../escaped"}, target, {});
    REQUIRE(report);
    CHECK(report->errors.size() == 1);
    check_nothing_escaped();
  }
  SECTION("verify reports the unsafe name") {
    crafted_record(**repo, "/data", "..");
    auto report = repo::verify(**repo, {});
    REQUIRE(report);
    REQUIRE(report->problems.size() == 1);
    CHECK_THAT(report->problems.front(), Catch::Contains("unsafe entry name"));
  }
}

TEST_CASE("a crafted listing naming one inode for different contents restores each its own",
          "[restore]") {
  TempDir dir;
  auto repo = repo::Repository::open(dir / "repo", true);
  REQUIRE(repo);
  auto batch = (*repo)->new_batch();
  repo::Tree tree;
  for (const std::string content : {"first content", "second, different content"}) {
    auto chunk = batch->add(repo::BlobType::data, content);
    REQUIRE(chunk);
    repo::TreeEntry file;
    file.name = content.substr(0, 5);
    file.type = FileType::regular;
    file.mode = 0644;
    file.size = content.size();
    file.xxh3 = Hash::of(content.data(), content.size());
    file.content = {chunk->id};
    file.links = 2;  // both claim (dev 1, inode 7)
    file.inode = 7;
    file.dev = 1;
    tree.entries.push_back(file);
  }
  auto listing = batch->add(repo::BlobType::tree, repo::encode_tree(tree));
  REQUIRE(listing);
  REQUIRE(batch->commit());
  repo::SnapshotRecord record;
  record.id = "20261203T000000Z-links0";
  record.node = "01_node";
  repo::TreeEntry root;
  root.type = FileType::directory;
  root.mode = 0755;
  root.tree = listing->id;
  record.roots.push_back({"/data", root});
  REQUIRE((*repo)->write_snapshot(record));
  auto report = repo::restore(**repo, record, {}, dir / "out", {});
  REQUIRE(report);
  CHECK(report->errors.empty());
  CHECK(report->hardlinks == 0);
  CHECK(read_whole(dir / "out/data/first") == "first content");
  CHECK(read_whole(dir / "out/data/secon") == "second, different content");
}
