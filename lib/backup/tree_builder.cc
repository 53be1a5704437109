#include "backup/tree_builder.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace nb::backup {

namespace {

std::string base_name(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

class TreeBuilder {
 public:
  TreeBuilder(const Scan& scan, const std::vector<FileState>& files, repo::BlobBatch& batch)
      : scan_(scan), files_(files), batch_(batch), children_(scan.entries.size()) {
    link_children();
  }

  // The listing entry for scan entry `i`, or nullopt when it is left out.
  Result<std::optional<repo::TreeEntry>> build(size_t i) {
    const auto& scanned = scan_.entries[i];
    repo::TreeEntry e;
    e.name = base_name(scanned.path);
    const fs::FileMeta* meta = &scanned.meta;
    switch (scanned.meta.type) {
      case FileType::regular: {
        const FileState& f = files_[i];
        if (f.kind != FileState::Kind::known) return std::nullopt;
        meta = &f.meta;
        e.xxh3 = f.hash;
        e.content = f.content;
        e.size = f.meta.size;
        break;
      }
      case FileType::symlink:
        e.target = scanned.meta.link_target;
        break;
      case FileType::directory: {
        auto tree = build_listing(i);
        if (!tree) return std::unexpected(tree.error());
        e.tree = *tree;
        break;
      }
      default:
        return std::nullopt;
    }
    e.type = scanned.meta.type;
    e.mode = meta->mode;
    e.uid = meta->uid;
    e.gid = meta->gid;
    e.mtime_ns = meta->mtime_ns;
    return e;
  }

 private:
  void link_children() {
    std::unordered_set<size_t> roots(scan_.root_indexes.begin(), scan_.root_indexes.end());
    std::unordered_map<std::string_view, size_t> index;
    index.reserve(scan_.entries.size());
    for (size_t i = 0; i < scan_.entries.size(); ++i) {
      const auto& path = scan_.entries[i].path;
      if (scan_.entries[i].meta.type == FileType::directory) index.emplace(path, i);
      if (roots.contains(i)) continue;
      const auto slash = path.find_last_of('/');
      const auto parent = index.find(std::string_view(path).substr(0, slash == 0 ? 1 : slash));
      if (parent != index.end()) children_[parent->second].push_back(i);
    }
  }

  Result<repo::BlobId> build_listing(size_t dir) {
    repo::Tree tree;
    for (size_t child : children_[dir]) {
      auto entry = build(child);
      if (!entry) return std::unexpected(entry.error());
      if (*entry) tree.entries.push_back(std::move(**entry));
    }
    std::sort(tree.entries.begin(), tree.entries.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    auto added = batch_.add(repo::BlobType::tree, repo::encode_tree(tree));
    if (!added) return std::unexpected(added.error());
    return added->id;
  }

  const Scan& scan_;
  const std::vector<FileState>& files_;
  repo::BlobBatch& batch_;
  std::vector<std::vector<size_t>> children_;
};

}  // namespace

Result<std::vector<repo::SnapshotRoot>> build_roots(const Scan& scan,
                                                    const std::vector<FileState>& files,
                                                    repo::BlobBatch& batch) {
  TreeBuilder builder(scan, files, batch);
  std::vector<repo::SnapshotRoot> roots;
  for (size_t i : scan.root_indexes) {
    auto entry = builder.build(i);
    if (!entry) return std::unexpected(entry.error());
    if (*entry) roots.push_back({scan.entries[i].path, std::move(**entry)});
  }
  return roots;
}

}  // namespace nb::backup
