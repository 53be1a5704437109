#include "repo/chunk_list.h"

#include "repo/format/corrupt.h"
#include "repo/repository.h"

namespace nb::repo {

std::vector<size_t> chunk_list_cuts(std::span<const BlobId> chunks) {
  std::vector<size_t> cuts;
  size_t start = 0;
  for (size_t i = 0; i < chunks.size(); ++i) {
    if (chunks[i].bytes()[0] % ChunkLists::kPieceDivisor == 0 ||
        i + 1 - start == ChunkLists::kMaxPieceIds) {
      cuts.push_back(i + 1);
      start = i + 1;
    }
  }
  if (start < chunks.size()) cuts.push_back(chunks.size());
  return cuts;
}

std::string encode_chunk_list(std::span<const BlobId> piece) {
  std::string out;
  out.reserve(piece.size() * BlobId::kSize);
  for (const auto& id : piece) {
    out.append(reinterpret_cast<const char*>(id.bytes().data()), BlobId::kSize);
  }
  return out;
}

Result<std::vector<BlobId>> decode_chunk_list(std::string_view data, const std::string& what) {
  if (data.empty() || data.size() % BlobId::kSize != 0 ||
      data.size() / BlobId::kSize > ChunkLists::kMaxPieceIds) {
    return corrupt("read chunk list", what, EPROTO,
                "is " + std::to_string(data.size()) + " bytes, not 1 to " +
                    std::to_string(ChunkLists::kMaxPieceIds) + " ids of " +
                    std::to_string(BlobId::kSize));
  }
  std::vector<BlobId> ids;
  ids.reserve(data.size() / BlobId::kSize);
  for (size_t at = 0; at < data.size(); at += BlobId::kSize) {
    ids.push_back(BlobId::from_raw(reinterpret_cast<const uint8_t*>(data.data()) + at));
  }
  return ids;
}

Result<> set_file_chunks(BlobBatch& batch, TreeEntry& entry, std::vector<BlobId> chunks) {
  entry.content.clear();
  entry.chunk_lists.clear();
  if (chunks.size() <= ChunkLists::kInlineChunks) {
    entry.content = std::move(chunks);
    return {};
  }
  size_t start = 0;
  for (size_t end : chunk_list_cuts(chunks)) {
    const std::span<const BlobId> piece(chunks.data() + start, end - start);
    auto added = batch.add(BlobType::tree, encode_chunk_list(piece));
    if (!added) return std::unexpected(added.error());
    entry.chunk_lists.push_back(added->id);
    start = end;
  }
  return {};
}

Result<std::vector<BlobId>> read_chunk_list(const Repository& repo, const BlobId& id) {
  auto bytes = repo.read_blob(id);
  if (!bytes) return std::unexpected(bytes.error());
  return decode_chunk_list(*bytes, "chunk list " + id.hex());
}

Result<std::vector<BlobId>> file_chunks(const Repository& repo, const TreeEntry& entry) {
  if (entry.chunk_lists.empty()) return entry.content;
  std::vector<BlobId> chunks;
  for (const auto& id : entry.chunk_lists) {
    auto piece = read_chunk_list(repo, id);
    if (!piece) return std::unexpected(piece.error());
    chunks.insert(chunks.end(), piece->begin(), piece->end());
  }
  return chunks;
}

}  // namespace nb::repo
