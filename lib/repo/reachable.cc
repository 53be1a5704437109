#include "repo/reachable.h"

#include "repo/browse.h"

namespace nb::repo {

Result<HashSet> reachable_objects(const Repository& repo,
                                  const std::vector<SnapshotRecord>& snapshots) {
  HashSet reached;
  // Listings still to read; a stack instead of recursion, since trees can be deep.
  std::vector<std::pair<Hash, const SnapshotRecord*>> listings;
  const auto reach = [&](const TreeEntry& entry, const SnapshotRecord& record) {
    if (entry.type == FileType::symlink || !entry.object) return;
    if (!reached.insert(*entry.object).second) return;  // seen, and everything below it
    if (entry.type == FileType::directory) listings.emplace_back(*entry.object, &record);
  };
  for (const auto& record : snapshots) {
    for (const auto& root : record.roots) reach(root.entry, record);
    while (!listings.empty()) {
      const auto [hash, from] = listings.back();
      listings.pop_back();
      auto tree = load_tree(repo, hash);
      if (!tree) {
        return fail("mark", repo.object_path(hash), tree.error().code(),
                    "listing referenced by snapshot " + from->node + "/" + from->id +
                        " is unreadable (" + tree.error().message() +
                        "); no object was deleted, run verify");
      }
      for (const auto& child : tree->entries) reach(child, *from);
    }
  }
  return reached;
}

}  // namespace nb::repo
