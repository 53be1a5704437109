// A large file's chunk list lives in content-defined pieces: a change in the middle of the file
// rewrites the piece around it, not every chunk id; prune and verify follow the pieces; a
// damaged piece is an integrity error.
#include <catch2/catch.hpp>

#include <random>

#include "repo/browse.h"
#include "repo/chunk_list.h"
#include "repo/prune.h"
#include "repo/reachable.h"
#include "repo/verify.h"
#include "support/snapshot_history.h"

using namespace nb;
using namespace nb::test;

namespace {

std::vector<repo::BlobId> random_ids(size_t n, uint32_t seed) {
  const std::string bytes = random_bytes(n * repo::BlobId::kSize, seed);
  std::vector<repo::BlobId> ids;
  for (size_t i = 0; i < n; ++i) {
    ids.push_back(repo::BlobId::from_raw(reinterpret_cast<const uint8_t*>(bytes.data()) +
                                         i * repo::BlobId::kSize));
  }
  return ids;
}

std::vector<std::string> pieces_of(const std::vector<repo::BlobId>& ids) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t end : repo::chunk_list_cuts(ids)) {
    out.push_back(repo::encode_chunk_list({ids.data() + start, end - start}));
    start = end;
  }
  return out;
}

repo::TreeEntry latest_entry(BackupFixture& fx, const std::string& name) {
  auto latest = fx.repo->find_snapshot("01_node", "latest");
  REQUIRE(latest);
  auto entry = repo::find_entry(*fx.repo, *latest, fx.file(name));
  REQUIRE(entry);
  return *entry;
}

}  // namespace

TEST_CASE("chunk-list pieces are cut by the ids, so one changed id changes one piece",
          "[repo][chunk_list]") {
  auto ids = random_ids(4000, 1);
  const auto before = pieces_of(ids);
  size_t total = 0;
  for (const auto& piece : before) {
    CHECK(piece.size() % repo::BlobId::kSize == 0);
    CHECK(piece.size() / repo::BlobId::kSize <= repo::ChunkLists::kMaxPieceIds);
    total += piece.size() / repo::BlobId::kSize;
  }
  CHECK(total == ids.size());
  // About 32 ids a piece.
  CHECK(before.size() > 4000 / 64);
  CHECK(before.size() < 4000 / 16);

  ids[2000] = random_ids(1, 2)[0];
  const auto after = pieces_of(ids);
  size_t differ = 0;
  for (const auto& piece : after)
    differ += std::find(before.begin(), before.end(), piece) == before.end();
  // The piece holding it, and its successor when the id's being a boundary changed.
  CHECK(differ >= 1);
  CHECK(differ <= 2);
}

TEST_CASE("a piece is capped, and only whole ids within the cap decode", "[repo][chunk_list]") {
  // Ids a node made never end a piece (none has a first byte divisible by the divisor).
  auto ids = random_ids(1000, 3);
  for (auto& id : ids) id.mutable_bytes()[0] = 1;
  const auto cuts = repo::chunk_list_cuts(ids);
  REQUIRE(cuts.size() == 4);
  CHECK(cuts[0] == repo::ChunkLists::kMaxPieceIds);
  CHECK(cuts.back() == 1000);

  const auto piece = repo::encode_chunk_list({ids.data(), 3});
  auto decoded = repo::decode_chunk_list(piece, "piece");
  REQUIRE(decoded);
  CHECK(*decoded == std::vector<repo::BlobId>(ids.begin(), ids.begin() + 3));
  const std::string too_long(repo::BlobId::kSize * (repo::ChunkLists::kMaxPieceIds + 1), 'x');
  for (const std::string& bad : {std::string(), piece.substr(1), too_long}) {
    auto refused = repo::decode_chunk_list(bad, "chunk list X");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().kind() == ErrorKind::integrity);
    CHECK_THAT(refused.error().message(), Catch::Contains("chunk list X"));
  }
}

TEST_CASE("a large file's overwrite rewrites one piece of its chunk list, and prune keeps it whole",
          "[repo][chunk_list]") {
  BackupFixture fx(local_node());
  SnapshotHistory history(fx);
  // 40 MiB is ~330 chunks, more than one piece may hold, so the list has two pieces or more
  // whatever the repository's random chunker seed makes of it. (At 16 MiB, ~130 chunks, one
  // repository in ~60 drew no id that ends a piece, and the list was one piece.)
  std::string content = random_bytes(40 << 20, 4);
  write_file(fx.file("big"), content, 2000);
  write_file(fx.file("small"), random_bytes(100 << 10, 5), 2000);
  history.backup();
  const auto first = latest_entry(fx, "big");
  CHECK(first.content.empty());
  REQUIRE(first.chunk_lists.size() >= 2);
  auto chunks = repo::file_chunks(*fx.repo, first);
  REQUIRE(chunks);
  CHECK(chunks->size() > repo::ChunkLists::kInlineChunks);
  // A file of a few chunks keeps them inline.
  const auto small = latest_entry(fx, "small");
  CHECK(small.chunk_lists.empty());
  CHECK_FALSE(small.content.empty());

  content.replace(content.size() / 2, 4096, random_bytes(4096, 6));
  write_file(fx.file("big"), content, 1000);
  history.backup();
  const auto second = latest_entry(fx, "big");
  REQUIRE(second.chunk_lists.size() >= 2);
  size_t new_pieces = 0;
  for (const auto& id : second.chunk_lists) {
    new_pieces += std::find(first.chunk_lists.begin(), first.chunk_lists.end(), id) ==
                  first.chunk_lists.end();
  }
  CHECK(new_pieces >= 1);
  CHECK(new_pieces <= 2);

  // Unchanged again: the pieces are kept without being read or rewritten.
  history.backup();
  CHECK(latest_entry(fx, "big").chunk_lists == second.chunk_lists);
  CHECK(history.check_restores() == 3);

  // Prune drops the first snapshot: its own piece goes, every chunk the others reach stays.
  auto pruned = repo::prune(*fx.repo, keep_last(2), {});
  REQUIRE(pruned);
  CHECK(pruned->snapshots_removed == 1);
  CHECK(pruned->objects_removed >= 2);  // the old piece and the old chunk at least
  auto remaining = fx.repo->snapshots("01_node");
  REQUIRE(remaining);
  CHECK(indexed_blobs(*fx.repo) == referenced(*fx.repo, *remaining));
  auto report = repo::verify(*fx.repo, {});
  REQUIRE(report);
  INFO((report->problems.empty() ? std::string() : report->problems.front()));
  CHECK(report->problems.empty());
  CHECK(history.check_restores() == 2);
}

TEST_CASE("a file whose bytes are another file's chunk-list piece hides none of its chunks",
          "[repo][chunk_list][prune]") {
  // A node can store any bytes as a file, a piece's among them (ids of a plain repository are
  // unkeyed). Equal bytes are one blob. Met first as a file's chunk, the blob must still be
  // read as a piece where a file lists it as one, or the mark phase would miss the chunks it
  // lists and prune would delete the large file's content.
  BackupFixture fx(local_node());
  SnapshotHistory history(fx);
  write_file(fx.file("big"), random_bytes(16 << 20, 7), 2000);
  history.backup();
  const auto big = latest_entry(fx, "big");
  REQUIRE_FALSE(big.chunk_lists.empty());
  auto piece = repo::read_chunk_list(*fx.repo, big.chunk_lists.front());
  REQUIRE(piece);
  // "a_copy" sorts before "big": the walk meets the blob as data first.
  write_file(fx.file("a_copy"), repo::encode_chunk_list(*piece), 1000);
  history.backup();
  const auto copy = latest_entry(fx, "a_copy");
  REQUIRE(copy.content == std::vector<repo::BlobId>{big.chunk_lists.front()});

  auto latest = fx.repo->find_snapshot("01_node", "latest");
  REQUIRE(latest);
  auto marked = repo::reachable_blobs(*fx.repo, {*latest});
  REQUIRE(marked);
  auto chunks = repo::file_chunks(*fx.repo, big);
  REQUIRE(chunks);
  size_t unmarked = 0;
  for (const auto& id : *chunks) unmarked += !marked->contains(id);
  CHECK(unmarked == 0);

  auto pruned = repo::prune(*fx.repo, keep_last(1), {});
  REQUIRE(pruned);
  CHECK(pruned->snapshots_removed == 1);
  auto report = repo::verify(*fx.repo, {});
  REQUIRE(report);
  INFO((report->problems.empty() ? std::string() : report->problems.front()));
  CHECK(report->problems.empty());
  CHECK(history.check_restores() == 1);
}
