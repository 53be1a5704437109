#include "repo/browse.h"

#include <cerrno>

namespace nb::repo {

Result<std::vector<std::string>> path_components(const std::string& path) {
  if (path.empty() || path[0] != '/') return fail("resolve", path, 0, "not an absolute path");
  std::vector<std::string> parts;
  size_t start = 1;
  while (start <= path.size()) {
    const size_t end = std::min(path.find('/', start), path.size());
    std::string part = path.substr(start, end - start);
    start = end + 1;
    if (part.empty() && start > path.size()) break;  // trailing slash
    if (!safe_name(part)) return fail("resolve", path, 0, "unsafe path component \"" + part + "\"");
    parts.push_back(std::move(part));
  }
  return parts;
}

Result<Tree> load_tree(const Repository& repo, const BlobId& id) {
  auto data = repo.read_blob(id);
  if (!data) return std::unexpected(data.error());
  return decode_tree(*data, "listing " + id.hex());
}

Result<TreeEntry> find_entry(const Repository& repo, const SnapshotRecord& record,
                             const std::string& path) {
  auto wanted = path_components(path);
  if (!wanted) return std::unexpected(wanted.error());
  for (const auto& root : record.roots) {
    auto root_parts = path_components(root.path);
    if (!root_parts || root_parts->size() > wanted->size() ||
        !std::equal(root_parts->begin(), root_parts->end(), wanted->begin())) {
      continue;
    }
    TreeEntry entry = root.entry;
    entry.name = root_parts->empty() ? "/" : root_parts->back();
    for (size_t i = root_parts->size(); i < wanted->size(); ++i) {
      if (entry.type != FileType::directory) break;
      auto tree = load_tree(repo, *entry.tree);
      if (!tree) return std::unexpected(tree.error());
      const auto it = std::find_if(tree->entries.begin(), tree->entries.end(),
                                   [&](const TreeEntry& e) { return e.name == (*wanted)[i]; });
      if (it == tree->entries.end()) break;
      entry = *it;
      if (i + 1 == wanted->size()) return entry;
    }
    if (root_parts->size() == wanted->size()) return entry;
  }
  return fail("find", path, ENOENT, "not in snapshot " + record.id);
}

Result<> walk_entry(const Repository& repo, const std::string& path, const TreeEntry& entry,
                    const EntryVisitor& visit) {
  visit(path, entry);
  if (entry.type != FileType::directory) return {};
  auto tree = load_tree(repo, *entry.tree);
  if (!tree) return std::unexpected(tree.error());
  for (const auto& child : tree->entries) {
    if (!safe_name(child.name)) {
      return fail("walk snapshot", path, 0, "unsafe entry name \"" + child.name + "\"");
    }
    const std::string child_path = path == "/" ? "/" + child.name : path + "/" + child.name;
    if (auto r = walk_entry(repo, child_path, child, visit); !r) return r;
  }
  return {};
}

}  // namespace nb::repo
