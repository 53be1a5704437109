#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "store/hash_store.h"
#include "support/temp_dir.h"
#include "util/file.h"

using namespace nb;
using namespace nb::test;

namespace {

store::Entry sample_entry(const std::string& content) {
  store::Entry e;
  e.hash = Hash::of(content.data(), content.size());
  e.size = content.size();
  e.mtime_ns = 1732870000123456789;
  e.ctime_ns = 1732870000223456789;
  e.inode = 42;
  return e;
}

std::string store_file(const TempDir& dir) {
  return dir / store::HashStore::kFileName;
}

}  // namespace

TEST_CASE("the store round-trips through its file, including non-UTF-8 paths", "[store]") {
  TempDir dir;
  store::HashStore store;
  const std::string odd_path = std::string("/data/caf\xe9-\xff.txt");
  store.write_back(
      "02_node",
      {{{"/etc/app/config.json", sample_entry("a")}, {odd_path, sample_entry("b")}}, {}});
  auto racy = sample_entry("c");
  racy.racy = true;
  racy.ctime_ns.reset();
  racy.inode.reset();
  store.write_back("01_node", {{{"/srv/x", racy}}, {}});
  REQUIRE(store.save(dir.path()).value());

  store::HashStore loaded;
  const auto report = loaded.load(dir.path());
  CHECK(report.source == store_file(dir));
  CHECK(report.warnings.empty());
  CHECK(*loaded.entries("02_node") == *store.entries("02_node"));
  CHECK(*loaded.entries("01_node") == *store.entries("01_node"));
  CHECK(loaded.entries("02_node")->at(odd_path).hash == Hash::of("b", 1));

  struct ::stat st;
  REQUIRE(::stat(store_file(dir).c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("the store is written only when something changed", "[store]") {
  TempDir dir;
  store::HashStore store;
  CHECK_FALSE(store.save(dir.path()).value());
  CHECK_FALSE(std::filesystem::exists(store_file(dir)));
  store.write_back("n", {{{"/a", sample_entry("a")}}, {}});
  CHECK(store.stats().dirty);
  CHECK(store.save(dir.path()).value());
  CHECK_FALSE(store.stats().dirty);
  store.write_back("n", {{{"/a", sample_entry("a")}}, {}});  // the same entry again
  CHECK_FALSE(store.stats().dirty);
  CHECK_FALSE(store.save(dir.path()).value());
  store.write_back("n", {{}, {"/a"}});
  CHECK(store.stats().dirty);
}

TEST_CASE("a corrupt store falls back to the previous snapshot", "[store]") {
  TempDir dir;
  store::HashStore store;
  store.write_back("n", {{{"/a", sample_entry("a")}}, {}});
  REQUIRE(store.save(dir.path()));
  store.write_back("n", {{{"/b", sample_entry("b")}}, {}});
  REQUIRE(store.save(dir.path()));  // the first snapshot is now the fallback
  REQUIRE(write_file_durably(store_file(dir), "{\"format\": \"nodebackup-hashes/1\", \"nod"));

  store::HashStore loaded;
  const auto report = loaded.load(dir.path());
  CHECK(report.source == store_file(dir) + ".prev");
  REQUIRE_FALSE(report.warnings.empty());
  CHECK_THAT(report.warnings.front(), Catch::Contains(store_file(dir)));
  CHECK(loaded.entries("n")->size() == 1);
  CHECK(loaded.entries("n")->contains("/a"));
  CHECK(loaded.stats().dirty);  // so the broken file gets replaced at the next snapshot
}

TEST_CASE("both store files corrupt: an empty store, a warning, no crash", "[store]") {
  TempDir dir;
  REQUIRE(write_file_durably(store_file(dir), "garbage"));
  REQUIRE(write_file_durably(store_file(dir) + ".prev", "[1, 2"));
  store::HashStore loaded;
  const auto report = loaded.load(dir.path());
  CHECK(report.source.empty());
  CHECK(loaded.stats().entries == 0);
  REQUIRE(report.warnings.size() == 3);
  CHECK_THAT(report.warnings.back(), Catch::Contains("empty hash store"));
}

TEST_CASE("no store file at all starts empty without warnings", "[store]") {
  TempDir dir;
  store::HashStore loaded;
  const auto report = loaded.load(dir.path());
  CHECK(report.source.empty());
  CHECK(report.warnings.empty());
}

TEST_CASE("legacy values load as untrusted entries and stay untrusted when saved", "[store]") {
  TempDir dir;
  const std::string hash = Hash::of("x", 1).hex();
  REQUIRE(write_file_durably(
      store_file(dir), "{\"02_node\": {\"/etc/a\": \"MISSING\", \"/etc/b\": \"" + hash + "\"}}"));
  store::HashStore loaded;
  const auto report = loaded.load(dir.path());
  CHECK(report.legacy_values == 2);
  CHECK(loaded.stats().untrusted == 2);
  CHECK_FALSE(loaded.entries("02_node")->at("/etc/b").trusted);
  loaded.write_back("01_node", {{{"/x", sample_entry("x")}}, {}});
  REQUIRE(loaded.save(dir.path()));
  store::HashStore again;
  CHECK(again.load(dir.path()).legacy_values == 2);
  CHECK(again.untrusted("02_node", 10).count == 2);
}

// A write-back that lands while save() is writing the file must reach disk by a later save:
// once the store reports itself clean, everything written back is in the file.
TEST_CASE("write-backs interleaved with saves all reach the file", "[store]") {
  TempDir dir;
  store::HashStore store;
  constexpr int kFiles = 3000;
  std::atomic<bool> done = false;
  std::thread saver([&] {
    while (!done) REQUIRE(store.save(dir.path()));
  });
  for (int i = 0; i < kFiles; ++i) {
    store.write_back("02_node", {{{"/data/f" + std::to_string(i), sample_entry("x")}}, {}});
  }
  done = true;
  saver.join();
  REQUIRE(store.save(dir.path()));  // writes what the saver's last round missed, if anything
  CHECK_FALSE(store.stats().dirty);

  store::HashStore reloaded;
  reloaded.load(dir.path());
  CHECK(reloaded.entries("02_node")->size() == kFiles);
  CHECK(reloaded.stats().entries == kFiles);
}

TEST_CASE("a write-back between a save's copy and its write keeps the store dirty", "[store]") {
  TempDir dir;
  store::HashStore store;
  store.write_back("02_node", {{{"/a", sample_entry("a")}}, {}});
  store.set_save_hook([&] {
    store.set_save_hook(nullptr);
    store.write_back("02_node", {{{"/b", sample_entry("b")}}, {}});
  });
  REQUIRE(store.save(dir.path()).value_or(false));
  CHECK(store.stats().dirty);  // "/b" is not in the file yet
  REQUIRE(store.save(dir.path()).value_or(false));
  store::HashStore reloaded;
  reloaded.load(dir.path());
  CHECK(reloaded.entries("02_node")->size() == 2);
}

TEST_CASE("the store's counts follow write-backs without a walk", "[store]") {
  store::HashStore store;
  auto legacy = sample_entry("a");
  legacy.trusted = false;
  store.write_back("02_node", {{{"/a", legacy}, {"/b", sample_entry("b")}}, {}});
  store.write_back("03_node", {{{"/a", legacy}}, {}});
  CHECK(store.stats().entries == 3);
  CHECK(store.stats().untrusted == 2);
  store.write_back("02_node", {{{"/a", sample_entry("a")}}, {"/b", "/never-there"}});
  CHECK(store.stats().entries == 2);
  CHECK(store.stats().untrusted == 1);
  CHECK(store.untrusted("02_node", 5).count == 0);
  CHECK(store.untrusted("03_node", 5).examples == std::vector<std::string>{"/a"});
}
