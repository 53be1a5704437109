// The two readers of file_hashes.json (store_reader.h): the streaming one must read everything
// the store writes, in pieces of any size, exactly as the general one does; anything else must
// reach the general one, which reads it or names the problem.
#include <catch2/catch.hpp>

#include <string>

#include "store/hash_store.h"
#include "store/store_reader.h"
#include "support/temp_dir.h"
#include "util/file.h"

using namespace nb;
using namespace nb::test;

namespace {

store::Entry entry(uint64_t n) {
  store::Entry e;
  e.hash = Hash::of(&n, sizeof n);
  e.size = n;
  e.mtime_ns = 1732870000123456789 + static_cast<int64_t>(n);
  if (n % 2) e.ctime_ns = e.mtime_ns + 1;
  if (n % 3) e.inode = n;
  e.racy = n % 5 == 0;
  return e;
}

// What the store writes for a few nodes, with paths that need escapes and one that is not UTF-8.
std::string written_store() {
  store::HashStore store;
  store::WriteBack a, b;
  std::vector<std::string> names;  // the updates' paths are views
  for (uint64_t i = 0; i < 200; ++i) names.push_back("/srv/f" + std::to_string(i));
  for (uint64_t i = 0; i < 200; ++i) a.updates.emplace_back(names[i], entry(i));
  a.updates.emplace_back("/etc/quote\"back\\slash\ttab", entry(7));
  a.updates.emplace_back("/data/caf\xe9-\xff.txt", entry(8));
  a.updates.emplace_back("/unicode/é/😀", entry(9));
  auto untrusted = entry(10);
  untrusted.trusted = false;
  b.updates.emplace_back("/missing", untrusted);
  store.write_back("01_node", a);
  store.write_back("02_node", b);
  store.write_back("03_node", {});  // a node with no entries
  return store.to_json();
}

struct Loaded {
  store::LoadedNodes nodes;
  store::LoadReport report;
};

Loaded general(std::string_view text) {
  Loaded out;
  REQUIRE(store::parse_store_text(text, "test", out.nodes, out.report));
  return out;
}

// Streams `text` through ShapeReader in pieces of `piece` bytes; nullopt if it left the shape.
std::optional<Loaded> streamed(std::string_view text, size_t piece) {
  Loaded out;
  store::ShapeReader reader(out.nodes, out.report);
  std::string pending;
  for (size_t at = 0; at < text.size(); at += piece) {
    pending += text.substr(at, piece);
    const auto used = reader.feed(pending, false);
    if (!used) return std::nullopt;
    pending.erase(0, *used);
  }
  if (!reader.feed(pending, true) || !reader.finished()) return std::nullopt;
  return out;
}

}  // namespace

TEST_CASE("the streaming reader reads what the store writes, in pieces of any size", "[store]") {
  const std::string text = written_store();
  const Loaded expected = general(text);
  REQUIRE(expected.nodes.size() == 3);
  REQUIRE(expected.nodes.at("01_node").size() == 203);
  for (size_t piece : {size_t{1}, size_t{2}, size_t{7}, size_t{64}, size_t{4096}, text.size()}) {
    INFO("pieces of " << piece << " bytes");
    const auto got = streamed(text, piece);
    REQUIRE(got);
    CHECK(got->nodes == expected.nodes);
    CHECK(got->report.legacy_values == expected.report.legacy_values);
  }
  CHECK(expected.report.legacy_values == 1);
  CHECK(expected.nodes.at("01_node").at(std::string("/data/caf\xe9-\xff.txt")) == entry(8));
  CHECK(expected.nodes.at("01_node").at("/etc/quote\"back\\slash\ttab") == entry(7));
}

TEST_CASE("the streaming reader takes the legacy shape and any key order and spacing", "[store]") {
  const std::string legacy = R"({"02_node": {"/a": "MISSING", "/b": "0123abcd"}})";
  const auto got = streamed(legacy, 3);
  REQUIRE(got);
  CHECK(got->nodes == general(legacy).nodes);
  CHECK(got->report.legacy_values == 2);

  const std::string reordered =
      "{ \"nodes\" : { \"n\" : { \"/x\" : { \"mtime_ns\" : 5 , \"racy\" : false ,\r\n"
      "\t\"xxh3\" : \"0123456789abcdef0123456789abcdef\" , \"size\" : 0 } } } ,"
      " \"format\" : \"nodebackup-hashes/1\" , \"serial\" : 12 }\n";
  const auto again = streamed(reordered, 5);
  REQUIRE(again);
  CHECK(again->nodes == general(reordered).nodes);
  CHECK(again->nodes.at("n").at("/x").trusted);
}

TEST_CASE("text outside the store's shape is left to the general reader", "[store]") {
  // Each of these leaves the shape; of them the general reader reads the first and refuses the
  // rest (floats, leading zeros, null, another format, trailing text, truncation, bad UTF-8).
  for (const std::string text : {
           R"({"format":"nodebackup-hashes/1","offset":-3,"nodes":{"n":{"/x":"MISSING"}}})",
           R"({"nodes":{"n":{"/x":{"xxh3":"00","size":1e0,"mtime_ns":0}}}})",
           R"({"nodes":{"n":{"/x":{"size":01}}}})",
           R"({"nodes":{"n":{"/x":null}}})",
           R"({"format":"nodebackup-hashes/9","nodes":{}})",
           R"({"nodes":{"n":{}}}} trailing)",
           R"({"nodes":{"n":{"/x":"MISSING")",
           "{\"nodes\":{\"n\":{\"/caf\xe9\":\"MISSING\"}}}",
       }) {
    INFO(text);
    CHECK_FALSE(streamed(text, 4));
  }
  TempDir dir;
  const std::string path = dir / "file_hashes.json";
  REQUIRE(write_file_durably(path, R"({"offset":-3,"nodes":{"n":{"/x":"MISSING"}}})"));
  store::LoadedNodes nodes;
  store::LoadReport report;
  REQUIRE(store::parse_store_file(path, nodes, report));
  CHECK(nodes.at("n").contains("/x"));
  CHECK(report.legacy_values == 1);
}

TEST_CASE("a truncated store file is refused with its name and where it ends", "[store]") {
  TempDir dir;
  const std::string path = dir / "file_hashes.json";
  const std::string text = written_store();
  REQUIRE(write_file_durably(path, text.substr(0, text.size() / 2)));
  store::LoadedNodes nodes;
  store::LoadReport report;
  const auto parsed = store::parse_store_file(path, nodes, report);
  REQUIRE_FALSE(parsed);
  CHECK_THAT(parsed.error().message(), Catch::Contains(path) && Catch::Contains("at byte"));
}

TEST_CASE("an entry longer than the reader's block still loads from the file", "[store]") {
  TempDir dir;
  const std::string path = dir / "file_hashes.json";
  const std::string long_name = "/" + std::string(9 << 20, 'x');  // beyond two 4 MiB blocks
  store::HashStore store;
  store.write_back("n", {{{long_name, entry(1)}, {"/short", entry(2)}}, {}});
  REQUIRE(store.save(dir.path()));
  store::LoadedNodes nodes;
  store::LoadReport report;
  REQUIRE(store::parse_store_file(path, nodes, report));
  CHECK(nodes.at("n").at(long_name) == entry(1));
  CHECK(nodes.at("n").at("/short") == entry(2));
}
