#include "repo/reachable.h"

#include "repo/browse.h"
#include "repo/chunk_list.h"

namespace nb::repo {

namespace {

std::unexpected<Error> unreadable(const std::string& what, const SnapshotRecord& from,
                                  const Error& error) {
  return fail("mark", what, error.code(),
              "referenced by snapshot " + from.node + "/" + from.id + " and unreadable (" +
                  error.message() + "); nothing was deleted, run verify");
}

}  // namespace

Result<BlobSet> reachable_blobs(const Repository& repo,
                                const std::vector<SnapshotRecord>& snapshots) {
  BlobSet reached;
  // Metadata blobs already read, apart from `reached`: a node can store a file whose content
  // is exactly another node's listing or chunk-list piece, and that blob id being reached as
  // data must not stop what lies below it from being marked.
  BlobSet expanded;
  // Listings still to read; a stack instead of recursion, since trees can be deep.
  std::vector<std::pair<BlobId, const SnapshotRecord*>> listings;
  const auto reach = [&](const TreeEntry& entry, const SnapshotRecord& record) -> Result<> {
    if (entry.type == FileType::regular) {
      reached.insert(entry.content.begin(), entry.content.end());
      for (const auto& id : entry.chunk_lists) {
        reached.insert(id);
        if (!expanded.insert(id).second) continue;  // its chunks are marked already
        auto piece = read_chunk_list(repo, id);
        if (!piece) return unreadable("chunk list " + id.hex(), record, piece.error());
        reached.insert(piece->begin(), piece->end());
      }
    } else if (entry.type == FileType::directory && entry.tree) {
      reached.insert(*entry.tree);
      // Seen already: so is everything below it.
      if (expanded.insert(*entry.tree).second) listings.emplace_back(*entry.tree, &record);
    }
    return {};
  };
  for (const auto& record : snapshots) {
    for (const auto& root : record.roots) {
      if (auto r = reach(root.entry, record); !r) return std::unexpected(r.error());
    }
    while (!listings.empty()) {
      const auto [id, from] = listings.back();
      listings.pop_back();
      auto tree = load_tree(repo, id);
      if (!tree) return unreadable("listing " + id.hex(), *from, tree.error());
      for (const auto& child : tree->entries) {
        if (auto r = reach(child, *from); !r) return std::unexpected(r.error());
      }
    }
  }
  return reached;
}

}  // namespace nb::repo
