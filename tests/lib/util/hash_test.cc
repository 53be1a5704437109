#include <catch2/catch.hpp>

#include "util/hash.h"
#include "util/json_text.h"

using namespace nb;

TEST_CASE("XXH3-128 hex form, streaming equals one-shot", "[util]") {
  const std::string text = "hello, nodebackup";
  const Hash one = Hash::of(text.data(), text.size());
  Hasher h;
  h.update(text.data(), 5);
  h.update(text.data() + 5, text.size() - 5);
  CHECK(h.digest() == one);
  CHECK(one.hex().size() == 32);
  CHECK(Hash::from_hex(one.hex()) == one);
  CHECK_FALSE(Hash::from_hex("MISSING"));
  CHECK_FALSE(Hash::from_hex(std::string(32, 'g')));
  // XXH3-128 of the empty input, as xxhsum -H2 prints it.
  CHECK(Hash::of("", 0).hex() == "99aa06d3014798d86001c324468d497f");
}

TEST_CASE("names that are not UTF-8 survive hex and print readably", "[util]") {
  const std::string raw = "a\xff\xfe b";
  CHECK_FALSE(valid_utf8(raw));
  CHECK(valid_utf8("caf\xc3\xa9"));
  CHECK(printable(raw) == "a\\xff\\xfe b");
  CHECK(hex_decode(hex_encode(raw)) == raw);
  CHECK_FALSE(hex_decode("zz"));
}
