// A large file's chunk list, stored in pieces rather than inline in its directory's listing.
//
// Inline, a 64 MiB file's ~500 chunk ids are ~16 KiB of the listing (ids do not compress), and
// any change to the file writes the listing again with all of them: 4 KiB overwritten in the
// middle stored one 128 KiB chunk plus 16 KiB of ids. Stored in content-defined pieces, the
// listing names the pieces and a change rewrites the one piece around it (≈ 1 KiB) and the
// short list of piece ids. A piece ends after a chunk id whose first byte is a multiple of
// kPieceDivisor (ids are BLAKE2b, so ≈ 32 ids per piece), or at kMaxPieceIds, so an insert or
// an overwrite moves piece boundaries only near it, as the chunker does for content.
//
// A piece is a metadata blob (type tree, packed with listings): the concatenation of its
// 32-byte chunk ids, nothing else (docs/repository-format.md §6).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "repo/format/blob_id.h"
#include "repo/tree.h"
#include "util/error.h"

namespace nb::repo {

class BlobBatch;
class Repository;

struct ChunkLists {
  // A file of more chunks than this has its list in pieces; smaller ones keep it inline,
  // where it costs less than a piece id would save.
  static constexpr size_t kInlineChunks = 32;
  static constexpr unsigned kPieceDivisor = 32;
  static constexpr size_t kMaxPieceIds = 256;
};

// The ends (exclusive indexes into `chunks`) of the pieces `chunks` is cut into.
std::vector<size_t> chunk_list_cuts(std::span<const BlobId> chunks);
std::string encode_chunk_list(std::span<const BlobId> piece);
// `what` names the piece in errors.
Result<std::vector<BlobId>> decode_chunk_list(std::string_view data, const std::string& what);

// Reads and decodes the piece `id` (checked against its id as every blob is).
Result<std::vector<BlobId>> read_chunk_list(const Repository& repo, const BlobId& id);

// Sets `entry`'s chunks: `chunks` inline when there are at most kInlineChunks of them,
// otherwise stores the pieces through `batch` and sets entry.chunk_lists.
Result<> set_file_chunks(BlobBatch& batch, TreeEntry& entry, std::vector<BlobId> chunks);
// A regular entry's chunks in order, reading its pieces when it has them.
Result<std::vector<BlobId>> file_chunks(const Repository& repo, const TreeEntry& entry);

}  // namespace nb::repo
