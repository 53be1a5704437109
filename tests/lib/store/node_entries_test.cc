// NodeEntries against std::unordered_map as the model: the same operations in the same order
// must leave the same contents, through growth, overwrites, erases (the backward shift) and
// copies.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <unordered_map>

#include "store/node_entries.h"

using namespace nb;
using nb::store::Entry;
using nb::store::NodeEntries;

namespace {

Entry entry(uint64_t n) {
  Entry e;
  e.hash = Hash::of(&n, sizeof n);
  e.size = n;
  e.mtime_ns = static_cast<int64_t>(n % 1000000007) * 3;  // no signed overflow
  if (n % 2) e.inode = n;
  e.trusted = n % 7 != 0;
  return e;
}

void check_same(const NodeEntries& map, const std::unordered_map<std::string, Entry>& model) {
  REQUIRE(map.size() == model.size());
  size_t untrusted = 0;
  for (const auto& [path, e] : model) untrusted += e.trusted ? 0 : 1;
  CHECK(map.untrusted() == untrusted);
  for (const auto& [path, e] : model) {
    const auto it = map.find(path);
    REQUIRE(it != map.end());
    CHECK(it->first == path);
    CHECK(it->second == e);
  }
  size_t seen = 0;
  for (const auto& [path, e] : map) {
    REQUIRE(model.contains(std::string(path)));
    CHECK(model.at(std::string(path)) == e);
    ++seen;
  }
  CHECK(seen == model.size());
}

}  // namespace

TEST_CASE("NodeEntries keeps what std::unordered_map keeps, through every operation", "[store]") {
  std::mt19937_64 rng(20261202);
  NodeEntries map;
  std::unordered_map<std::string, Entry> model;
  // Few distinct names, so inserts, overwrites and erases of present names all happen often
  // and probe runs are long.
  for (int op = 0; op < 200'000; ++op) {
    const uint64_t n = rng() % 3000;
    const std::string path = "/p/" + std::to_string(n) + std::string(n % 40, 'x');
    switch (rng() % 4) {
      case 0:
      case 1:
        map.insert_or_assign(path, entry(rng()));
        model.insert_or_assign(path, map.at(path));
        break;
      case 2:
        CHECK(map.erase(path) == model.erase(path));
        break;
      default:
        CHECK(map.contains(path) == model.contains(path));
    }
    if (op % 50'000 == 0) check_same(map, model);
  }
  check_same(map, model);

  const NodeEntries copy = map;  // compacts: a fresh arena and table
  check_same(copy, model);
  CHECK(copy == map);
  NodeEntries changed = copy;
  changed.insert_or_assign(copy.begin()->first, entry(999'999'999));
  CHECK_FALSE(changed == map);
  CHECK_THROWS_AS(map.at("/not/there"), std::out_of_range);
}

TEST_CASE("NodeEntries erases every entry of a large map, and holds long and empty paths",
          "[store]") {
  NodeEntries map;
  map.reserve(100'000);
  for (uint64_t i = 0; i < 100'000; ++i) map.insert_or_assign("/f" + std::to_string(i), entry(i));
  const std::string long_path(3 << 20, 'y');  // longer than an arena block
  map.insert_or_assign(long_path, entry(1));
  map.insert_or_assign("", entry(2));
  CHECK(map.at(long_path) == entry(1));
  CHECK(map.at("") == entry(2));
  for (uint64_t i = 0; i < 100'000; ++i) REQUIRE(map.erase("/f" + std::to_string(i)) == 1);
  CHECK(map.size() == 2);
  CHECK(map.erase(long_path) == 1);
  CHECK(map.erase("") == 1);
  CHECK(map.empty());
  CHECK(map.find("/f1") == map.end());
}

TEST_CASE("an entry's ctime and inode are absent, or equal only to the same value", "[store]") {
  store::Entry e;
  CHECK_FALSE(e.ctime_ns.has_value());
  CHECK_FALSE(e.inode == uint64_t{0});  // absent never matches a walked value, even 0
  e.inode = 7;
  CHECK(e.inode == uint64_t{7});
  CHECK(e.inode != uint64_t{8});
  e.inode.reset();
  CHECK_FALSE(e.inode);
  // The entry stays small: a million-entry node holds a million of these.
  CHECK(sizeof(store::Entry) <= 56);
}
