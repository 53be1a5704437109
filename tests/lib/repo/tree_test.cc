// Listings decode to what was encoded, by the fast path for our own canonical bytes and by
// the general JSON decoder for anything else.
#include <catch2/catch.hpp>

#include "repo/tree.h"
#include "repo/tree_fast.h"

using namespace nb;
using namespace nb::repo;

namespace {

Tree sample() {
  Tree t;
  TreeEntry file;
  file.name = "file with \"quotes\"";
  file.type = FileType::regular;
  file.mode = 0100644;
  file.size = 3;
  file.mtime_ns = -5;
  file.xxh3 = Hash::of("abc", 3);
  file.content = {*BlobId::from_hex(std::string(64, 'a')), *BlobId::from_hex(std::string(64, 'b'))};
  TreeEntry empty = file;
  empty.name = std::string("not utf-8 \xff\xfe", 12);
  empty.content.clear();
  TreeEntry pieces = file;
  pieces.name = "large";
  pieces.content.clear();
  pieces.chunk_lists = {*BlobId::from_hex(std::string(64, 'd')),
                        *BlobId::from_hex(std::string(64, 'e'))};
  TreeEntry dir;
  dir.name = "dir";
  dir.type = FileType::directory;
  dir.mode = 040755;
  dir.uid = 1000;
  dir.gid = 1000;
  dir.tree = *BlobId::from_hex(std::string(64, 'c'));
  TreeEntry link;
  link.name = "link";
  link.type = FileType::symlink;
  link.target = "../target";
  // Faithful-copy fields: a hard-linked sparse file with xattrs (one binary), a fifo and a
  // device with an ACL-like binary attribute.
  TreeEntry linked = file;
  linked.name = "linked";
  linked.ctime_ns = 1764763200123456789;
  linked.links = 3;
  linked.inode = 1839;
  linked.dev = 2049;
  linked.sparse = true;
  linked.xattrs = {{"security.capability", std::string("\x01\x00\x00\x02", 4)},
                   {"user.note", "hello"}};
  TreeEntry fifo;
  fifo.name = "pipe";
  fifo.type = FileType::fifo;
  fifo.mode = 0640;
  fifo.ctime_ns = 7;
  TreeEntry device;
  device.name = "null";
  device.type = FileType::char_device;
  device.rdev = 259;
  device.xattrs = {{"system.posix_acl_access", std::string("\x02\x00\xff", 3)}};
  t.entries = {empty, dir, file, pieces, link, linked, device, fifo};
  return t;
}

}  // namespace

TEST_CASE("listings round-trip through both decoders", "[repo][tree]") {
  const Tree tree = sample();
  const std::string bytes = encode_tree(tree);
  auto decoded = decode_tree(bytes, "test");
  REQUIRE(decoded);
  CHECK(decoded->entries == tree.entries);
  // The escaped name is the general decoder's job; without it the fast path takes it all.
  CHECK_FALSE(decode_canonical_tree(bytes));
  Tree plain = tree;
  plain.entries[2].name = "file";  // still before "large"
  auto fast = decode_canonical_tree(encode_tree(plain));
  REQUIRE(fast);
  CHECK(fast->entries == plain.entries);
  CHECK(decode_canonical_tree("{\"entries\":[]}")->entries.empty());
  CHECK_FALSE(decode_canonical_tree("{\"entries\":[]} "));
  CHECK_FALSE(decode_canonical_tree(" {\"entries\":[]}"));
  CHECK(decode_tree(" {\"entries\":[]}", "spaced"));  // valid JSON all the same
  CHECK_FALSE(decode_tree("{\"entries\":[{\"name\":\"x\"}]}", "bad"));
}

TEST_CASE("a file entry names its chunks or its chunk-list pieces, never both or none",
          "[repo][tree]") {
  const std::string id = "\"" + std::string(64, 'a') + "\"";
  const auto file = [&](const std::string& ids) {
    return "{\"entries\":[{\"name\":\"f\",\"type\":\"file\",\"mode\":420,\"uid\":0,\"gid\":0,"
           "\"mtime_ns\":1,\"size\":3,\"xxh3\":\"" +
           std::string(32, '0') + "\"" + ids + "}]}";
  };
  auto inline_ids = decode_tree(file(",\"content\":[" + id + "]"), "inline");
  REQUIRE(inline_ids);
  CHECK(inline_ids->entries[0].content.size() == 1);
  auto pieces = decode_tree(file(",\"chunk_lists\":[" + id + "," + id + "]"), "pieces");
  REQUIRE(pieces);
  CHECK(pieces->entries[0].chunk_lists.size() == 2);
  CHECK(pieces->entries[0].content.empty());
  for (const auto* bad : {"", ",\"chunk_lists\":[]", "both"}) {
    const std::string ids =
        std::string(bad) == "both" ? ",\"content\":[" + id + "],\"chunk_lists\":[" + id + "]" : bad;
    INFO(ids);
    CHECK_FALSE(decode_canonical_tree(file(ids)));
    auto decoded = decode_tree(file(ids), "hostile");
    REQUIRE_FALSE(decoded);
    CHECK(decoded.error().kind() == ErrorKind::integrity);
  }
}

TEST_CASE("the fast decoder takes no string the general one would refuse", "[repo][tree]") {
  // Found by the tree_listing fuzz target: the fast path read a name holding raw NUL bytes,
  // which JSON forbids, so it accepted listings the general decoder refuses (and which no
  // encoder wrote: a name that is not UTF-8 is written as name_hex, control bytes escaped).
  const auto listing = [](const std::string& name) {
    return "{\"entries\":[{\"name\":\"" + name +
           "\",\"type\":\"symlink\",\"mode\":511,\"uid\":0,\"gid\":0,\"mtime_ns\":1,"
           "\"target\":\"t\"}]}";
  };
  REQUIRE(decode_canonical_tree(listing("ok")));
  for (const std::string& name : {std::string("a\0b", 3), std::string("a\nb"), std::string("a\x1f"),
                                  std::string("\xff\xfe")}) {
    INFO("name of " << name.size() << " bytes");
    CHECK_FALSE(decode_canonical_tree(listing(name)));
    auto decoded = decode_tree(listing(name), "hostile");
    REQUIRE_FALSE(decoded);
    CHECK(decoded.error().kind() == ErrorKind::integrity);
  }
  // What the encoder writes for such names reads back through either decoder.
  for (const std::string& name : {std::string("a\0b", 3), std::string("\xff\xfe")}) {
    Tree tree;
    TreeEntry e;
    e.name = name;
    e.type = FileType::symlink;
    e.target = "t";
    tree.entries.push_back(e);
    auto back = decode_tree(encode_tree(tree), "encoded");
    REQUIRE(back);
    CHECK(back->entries == tree.entries);
  }
}
