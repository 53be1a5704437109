#include "repo/file_content.h"

#include <algorithm>

#include "repo/chunk_list.h"

namespace nb::repo {

bool all_zero(std::string_view data) {
  return std::all_of(data.begin(), data.end(), [](char c) { return c == 0; });
}

Result<uint64_t> read_file_content(const Repository& repo, const TreeEntry& entry,
                                   const std::string& shown,
                                   const std::function<Result<>(std::string_view)>& out) {
  if (entry.type != FileType::regular) return fail("read", shown, EISDIR, "not a regular file");
  auto chunks = file_chunks(repo, entry);
  if (!chunks) {
    return fail("read", shown, chunks.error().code(), "refused: " + chunks.error().message());
  }
  Hasher hasher;
  uint64_t written = 0;
  for (const auto& id : *chunks) {
    auto chunk = repo.read_blob(id);
    if (!chunk) {
      return fail("read", shown, chunk.error().code(), "refused: " + chunk.error().message());
    }
    hasher.update(chunk->data(), chunk->size());
    if (auto r = out(*chunk); !r) return std::unexpected(r.error());
    written += chunk->size();
  }
  if (written != entry.size || !entry.xxh3 || hasher.digest() != *entry.xxh3) {
    return fail("read", shown, 0, "content does not match its recorded size and hash");
  }
  return written;
}

}  // namespace nb::repo
