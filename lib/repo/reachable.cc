#include "repo/reachable.h"

#include "repo/browse.h"

namespace nb::repo {

Result<BlobSet> reachable_blobs(const Repository& repo,
                                const std::vector<SnapshotRecord>& snapshots) {
  BlobSet reached;
  // Listings still to read; a stack instead of recursion, since trees can be deep.
  std::vector<std::pair<BlobId, const SnapshotRecord*>> listings;
  const auto reach = [&](const TreeEntry& entry, const SnapshotRecord& record) {
    if (entry.type == FileType::regular) {
      reached.insert(entry.content.begin(), entry.content.end());
    } else if (entry.type == FileType::directory && entry.tree) {
      // Seen already: so is everything below it.
      if (reached.insert(*entry.tree).second) listings.emplace_back(*entry.tree, &record);
    }
  };
  for (const auto& record : snapshots) {
    for (const auto& root : record.roots) reach(root.entry, record);
    while (!listings.empty()) {
      const auto [id, from] = listings.back();
      listings.pop_back();
      auto tree = load_tree(repo, id);
      if (!tree) {
        return fail("mark", "listing " + id.hex(), tree.error().code(),
                    "referenced by snapshot " + from->node + "/" + from->id + " and unreadable (" +
                        tree.error().message() + "); nothing was deleted, run verify");
      }
      for (const auto& child : tree->entries) reach(child, *from);
    }
  }
  return reached;
}

}  // namespace nb::repo
