// Exclude rules as documented in exclude.h and nodebackup.json(5): a table of patterns against
// the paths each leaves out, then the rules through a real walk (negation, directories only,
// an excluded directory not walked, files over a size).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <set>

#include "backup/exclude.h"
#include "repo/browse.h"
#include "support/backup_fixture.h"

using namespace nb;
using namespace nb::test;

namespace {

std::string pick_world() {
  return GENERATE(from_range(fs_world_names()));
}

struct Case {
  std::vector<std::string> patterns;
  std::string path;
  bool is_directory;
  bool excluded;
};

}  // namespace

TEST_CASE("exclude patterns: a table of paths each pattern leaves out and keeps", "[exclude]") {
  const std::string root = "/srv/app";
  const std::vector<Case> cases = {
      // No '/': a name at any depth.
      {{"*.swp"}, "/srv/app/a.swp", false, true},
      {{"*.swp"}, "/srv/app/deep/er/b.swp", false, true},
      {{"*.swp"}, "/srv/app/a.swp.txt", false, false},
      {{"cache"}, "/srv/app/x/cache", true, true},
      {{"ca?he"}, "/srv/app/cache", false, true},
      {{"[ab].txt"}, "/srv/app/b.txt", false, true},
      {{"[ab].txt"}, "/srv/app/c.txt", false, false},
      {{"*"}, "/srv/app/.hidden", false, true},
      // A leading '/': the absolute path; '*' stops at '/'.
      {{"/srv/app/logs/*"}, "/srv/app/logs/x.log", false, true},
      {{"/srv/app/logs/*"}, "/srv/app/logs/old/x.log", false, false},
      {{"/etc/ssl/certs/*"}, "/srv/app/etc/ssl/certs/a", false, false},
      // A '/' inside: relative to the configured path.
      {{"logs/*.gz"}, "/srv/app/logs/a.gz", false, true},
      {{"logs/*.gz"}, "/srv/app/sub/logs/a.gz", false, false},
      {{"logs/*.gz"}, "/srv/other/logs/a.gz", false, false},
      // "**" as a whole component.
      {{"**/node_modules"}, "/srv/app/node_modules", true, true},
      {{"**/node_modules"}, "/srv/app/a/b/node_modules", true, true},
      {{"a/**/b"}, "/srv/app/a/b", false, true},
      {{"a/**/b"}, "/srv/app/a/x/y/b", false, true},
      {{"a/**/b"}, "/srv/app/a/x/y/c", false, false},
      {{"tmp/**"}, "/srv/app/tmp/x/y", false, true},
      {{"/srv/**/*.o"}, "/srv/app/src/m.o", false, true},
      {{"x**y"}, "/srv/app/xay", false, true},  // elsewhere "**" is '*'
      // A trailing '/': directories only.
      {{"build/"}, "/srv/app/build", true, true},
      {{"build/"}, "/srv/app/build", false, false},
      {{"/srv/app/out/"}, "/srv/app/out", true, true},
      // '!': the last matching pattern decides.
      {{"*.log", "!keep.log"}, "/srv/app/keep.log", false, false},
      {{"*.log", "!keep.log"}, "/srv/app/other.log", false, true},
      {{"!keep.log", "*.log"}, "/srv/app/keep.log", false, true},
      {{"*", "!*/"}, "/srv/app/dir", true, false},
      {{"*", "!*/"}, "/srv/app/file", false, true},
      // Quoting: "\!" and "\#" are literal, "\*" a star.
      {{"\\!important"}, "/srv/app/!important", false, true},
      {{"\\#x"}, "/srv/app/#x", false, true},
      {{"a\\*"}, "/srv/app/a*", false, true},
      {{"a\\*"}, "/srv/app/ab", false, false},
      // Nothing, or nothing that can match.
      {{}, "/srv/app/a", false, false},
      {{"", "/", "!"}, "/srv/app/a", false, false},
  };
  for (const auto& c : cases) {
    INFO("patterns " << Catch::Detail::stringify(c.patterns) << ", path " << c.path
                     << (c.is_directory ? " (directory)" : ""));
    CHECK(backup::ExcludeRules(c.patterns).excluded(root, c.path, c.is_directory) == c.excluded);
  }
}

TEST_CASE("exclude patterns stay fast on hostile paths: many '**' against thousands of levels",
          "[exclude]") {
  std::string path = "/srv/app";
  for (int i = 0; i < 2000; ++i) path += "/d";
  const backup::ExcludeRules rules({"/**/d/**/d/**/d/**/d/**/x"});
  CHECK_FALSE(rules.excluded("/srv/app", path, false));
  CHECK(backup::ExcludeRules({"/**/d/**/d/**/d/**/d/**/d"}).excluded("/srv/app", path, false));
}

TEST_CASE("a walk leaves out what the rules say, never reads it, and keeps what '!' keeps",
          "[exclude]") {
  BackupFixture fx(pick_world());
  INFO("node filesystem: " << fx.world->name());
  fx.write("a.log", "a");
  fx.write("keep.log", "k");
  fx.write("build/out.o", "o");
  fx.write("src/build", "a file named build");
  fx.write("src/main.c", "int main;");
  fx.write("big.iso", std::string(5000, 'x'));
  fx.options.scan.exclude = {"*.log", "!keep.log", "build/", "!build/out.o"};
  fx.options.scan.exclude_larger_than = 4096;
  const auto result = fx.run();
  REQUIRE(result.ok);
  const std::multiset<std::string> read = {fx.file("keep.log"), fx.file("src/build"),
                                           fx.file("src/main.c")};
  CHECK(fx.fs->reads == read);
  CHECK(result.counts.scanned == 3);
  // The excluded directory was not walked: "!build/out.o" cannot bring its file back.
  CHECK_FALSE(fx.entry(fx.file("build/out.o")).has_value());
  CHECK_FALSE(fx.entry(fx.file("big.iso")).has_value());
  CHECK(fx.entry(fx.file("keep.log")).has_value());
}

TEST_CASE("exclude_if_present: a tagged directory keeps its tag and nothing else", "[exclude]") {
  BackupFixture fx(pick_world());
  INFO("node filesystem: " << fx.world->name());
  fx.write("home/.cache/CACHEDIR.TAG",
           "Signature: 8a477f597d28d172789f06886806bc55\n# a cache directory tag\n");
  fx.write("home/.cache/big/blob", "cached");
  fx.write("home/fake/CACHEDIR.TAG", "Signature: not the one of the specification");
  fx.write("home/fake/kept", "kept: the tag is not signed");
  fx.write("scratch/.nobackup", "");
  fx.write("scratch/tmp", "scratch");
  fx.write("home/doc", "document");
  fx.options.scan.exclude_if_present = {"CACHEDIR.TAG", ".nobackup"};
  const auto result = fx.run();
  REQUIRE(result.ok);
  CHECK_FALSE(fx.entry(fx.file("home/.cache/big/blob")).has_value());
  CHECK_FALSE(fx.entry(fx.file("scratch/tmp")).has_value());
  CHECK(fx.entry(fx.file("home/.cache/CACHEDIR.TAG")).has_value());
  CHECK(fx.entry(fx.file("scratch/.nobackup")).has_value());
  CHECK(fx.entry(fx.file("home/fake/kept")).has_value());
  CHECK(fx.entry(fx.file("home/doc")).has_value());
  auto latest = fx.repo->find_snapshot("01_node", "latest");
  REQUIRE(latest);
  CHECK(repo::find_entry(*fx.repo, *latest, fx.file("home/.cache")));
  CHECK_FALSE(repo::find_entry(*fx.repo, *latest, fx.file("home/.cache/big")));
  CHECK_FALSE(repo::find_entry(*fx.repo, *latest, fx.file("scratch/tmp")));
}

TEST_CASE("one_file_system: a mounted filesystem below the root is kept as an empty directory",
          "[exclude][mount]") {
  // Local and exec: both report the device each entry is on (SFTP cannot, and says so).
  const auto node = nodes_under_test().at(static_cast<size_t>(GENERATE(0, 2)));
  INFO("node filesystem: " << node.name);
  BackupFixture fx(node);
  fx.write("here", "on the root's filesystem");
  fx.world->mkdir("mnt");
  REQUIRE(std::system(("mount -t tmpfs -o mode=0755 nbtest-tmpfs " + fx.file("mnt")).c_str()) == 0);
  struct Unmount {
    std::string path;
    ~Unmount() { (void)std::system(("umount " + path).c_str()); }
  } unmount{fx.file("mnt")};
  write_file(fx.file("mnt/elsewhere"), "on another filesystem");
  fx.options.scan.one_file_system = true;
  const auto result = fx.run();
  REQUIRE(result.ok);
  CHECK(fx.entry(fx.file("here")).has_value());
  CHECK_FALSE(fx.entry(fx.file("mnt/elsewhere")).has_value());
  auto latest = fx.repo->find_snapshot("01_node", "latest");
  REQUIRE(latest);
  CHECK(repo::find_entry(*fx.repo, *latest, fx.file("mnt")));
  fx.options.scan.one_file_system = false;
  REQUIRE(fx.run().ok);
  CHECK(fx.entry(fx.file("mnt/elsewhere")).has_value());
}
