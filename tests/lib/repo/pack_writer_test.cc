// The pack writer streams a pack into storage: what it stores must be byte for byte the pack
// the format describes (blobs at their offsets, header, trailer, named by its hash), whatever
// mix of tiny and large blobs goes through its buffer; nothing is visible before finish(),
// and an abandoned pack leaves no file behind.
#include <catch2/catch.hpp>

#include "repo/format/pack.h"
#include "repo/pack_writer.h"
#include "repo/storage/storage.h"
#include "support/temp_dir.h"

using namespace nb;
using namespace nb::repo;
using nb::test::random_bytes;
using nb::test::TempDir;

namespace {

std::vector<StoredFile> listed(const Storage& storage, const std::string& prefix) {
  auto files = storage.list(prefix);
  REQUIRE(files);
  return *files;
}

}  // namespace

TEST_CASE("a streamed pack is the pack its header describes, named by its bytes", "[repo][pack]") {
  TempDir dir;
  auto storage = open_local_storage(dir.path());
  const auto keys = RepoKeys::generate(GENERATE(false, true));
  PackWriter writer(*storage);
  // Sizes on both sides of the writer's buffer and of half of it, interleaved, so large blobs
  // that bypass the buffer follow small ones still in it.
  const std::vector<size_t> sizes = {10, 200'000, 3, 40'000, 140'000, 1, 1'100'000, 5, 300'000};
  std::vector<std::string> sealed;
  for (size_t i = 0; i < sizes.size(); ++i) {
    const std::string plain = random_bytes(sizes[i], static_cast<uint32_t>(i));
    sealed.push_back(seal(keys, plain));
    REQUIRE(writer.add(BlobType::data, blob_id(keys, plain), sealed.back(),
                       static_cast<uint32_t>(plain.size())));
  }
  CHECK(listed(*storage, "data/").empty());  // nothing visible before finish()

  auto record = writer.finish(keys);
  REQUIRE(record);
  CHECK(writer.empty());
  const auto files = listed(*storage, "data/");
  REQUIRE(files.size() == 1);
  CHECK(files[0].name == pack_name(record->pack_id));
  CHECK(files[0].size == record->size);
  auto bytes = storage->get(files[0].name);
  REQUIRE(bytes);
  CHECK(content_name(*bytes) == record->pack_id);
  auto header = read_pack_header(keys, *bytes, files[0].name);
  REQUIRE(header);
  REQUIRE(header->size() == sizes.size());
  for (size_t i = 0; i < sizes.size(); ++i) {
    CHECK((*header)[i].offset == record->blobs[i].offset);
    CHECK(bytes->substr((*header)[i].offset, (*header)[i].length) == sealed[i]);
  }
  CHECK(storage->list_incomplete()->empty());
}

TEST_CASE("an abandoned pack leaves nothing behind, and the next one is whole", "[repo][pack]") {
  TempDir dir;
  auto storage = open_local_storage(dir.path());
  const auto keys = RepoKeys::generate(false);
  {
    PackWriter writer(*storage);
    REQUIRE(writer.add(BlobType::data, blob_id(keys, "a"), seal(keys, "a"), 1));
    REQUIRE(writer.add(BlobType::data, blob_id(keys, "big"), seal(keys, random_bytes(600'000, 1)),
                       600'000));
    // While it is written, the pack is a leftover a prune would see, never a pack.
    CHECK(storage->list_incomplete()->size() == 1);
    CHECK(listed(*storage, "data/").empty());
  }
  CHECK(storage->list_incomplete()->empty());
  CHECK(listed(*storage, "data/").empty());

  PackWriter writer(*storage);
  REQUIRE(writer.add(BlobType::tree, blob_id(keys, "b"), seal(keys, "b"), 1));
  auto first = writer.finish(keys);
  REQUIRE(first);
  REQUIRE(writer.add(BlobType::tree, blob_id(keys, "c"), seal(keys, "c"), 1));
  auto second = writer.finish(keys);
  REQUIRE(second);
  CHECK(first->pack_id != second->pack_id);
  CHECK(second->blobs.size() == 1);
  CHECK(second->blobs[0].offset == 0);
  CHECK(listed(*storage, "data/").size() == 2);
}
