#include "repo/snapshot_diff.h"

#include "repo/browse.h"

namespace nb::repo {

namespace {

std::string child_path(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

// The entry without what content-addresses it and without what the kind of change already
// says, so that any other field — including ones added later — counts as metadata.
TreeEntry metadata_of(const TreeEntry& e) {
  TreeEntry m = e;
  m.name.clear();
  m.content.clear();
  m.chunk_lists.clear();
  m.tree.reset();
  m.fingerprint.reset();
  m.xxh3.reset();
  m.size = 0;
  m.target.clear();
  if (m.type == FileType::directory) m.mtime_ns = 0;
  // The ctime is recorded to notice what the walk cannot see (repo/tree.h); what changed is in
  // the other fields, and a ctime that moved alone (a chown to the same owner) is no change.
  m.ctime_ns = 0;
  return m;
}

bool content_differs(const TreeEntry& a, const TreeEntry& b) {
  switch (a.type) {
    case FileType::regular:
      if (a.size != b.size) return true;
      if (a.xxh3 && b.xxh3) return *a.xxh3 != *b.xxh3;
      return a.content != b.content || a.chunk_lists != b.chunk_lists;
    case FileType::symlink:
      return a.target != b.target;
    default:
      return false;
  }
}

class Differ {
 public:
  Differ(const Repository& repo, const std::function<void(const Change&)>& visit)
      : repo_(repo), visit_(visit) {}

  Result<> entry(const std::string& path, const TreeEntry* a, const TreeEntry* b) {
    if (a == nullptr && b == nullptr) return {};
    if (a == nullptr) return whole(path, *b, ChangeKind::added);
    if (b == nullptr) return whole(path, *a, ChangeKind::removed);
    if (a->type != b->type) {
      visit_({ChangeKind::type, path, a->type, b->type});
      if (auto r = below(path, *a, ChangeKind::removed); !r) return r;
      return below(path, *b, ChangeKind::added);
    }
    if (content_differs(*a, *b)) {
      visit_({ChangeKind::modified, path, a->type, b->type});
    } else if (!(metadata_of(*a) == metadata_of(*b))) {
      visit_({ChangeKind::metadata, path, a->type, b->type});
    }
    if (a->type != FileType::directory) return {};
    if (a->tree == b->tree) {
      ++stats_.subtrees_skipped;
      return {};
    }
    return children(path, *a, *b);
  }

  DiffStats stats() const { return stats_; }

 private:
  Result<Tree> listing(const TreeEntry& dir) {
    if (!dir.tree) return Tree{};
    ++stats_.listings_read;
    return load_tree(repo_, *dir.tree);
  }

  // Both listings, merged by name (each is sorted by name).
  Result<> children(const std::string& path, const TreeEntry& a, const TreeEntry& b) {
    auto old_tree = listing(a);
    if (!old_tree) return std::unexpected(old_tree.error());
    auto new_tree = listing(b);
    if (!new_tree) return std::unexpected(new_tree.error());
    const auto& olds = old_tree->entries;
    const auto& news = new_tree->entries;
    size_t i = 0, j = 0;
    while (i < olds.size() || j < news.size()) {
      const TreeEntry* x = i < olds.size() ? &olds[i] : nullptr;
      const TreeEntry* y = j < news.size() ? &news[j] : nullptr;
      if (x && y && x->name != y->name) {
        if (x->name < y->name) {
          y = nullptr;
        } else {
          x = nullptr;
        }
      }
      const std::string& name = x ? x->name : y->name;
      if (!safe_name(name)) return fail("compare snapshots", path, 0, "unsafe entry name");
      if (auto r = entry(child_path(path, name), x, y); !r) return r;
      i += x ? 1 : 0;
      j += y ? 1 : 0;
    }
    return {};
  }

  // `e` and everything below it, all added or all removed.
  Result<> whole(const std::string& path, const TreeEntry& e, ChangeKind kind) {
    visit_({kind, path, kind == ChangeKind::added ? FileType::unknown : e.type,
            kind == ChangeKind::added ? e.type : FileType::unknown});
    return below(path, e, kind);
  }

  Result<> below(const std::string& path, const TreeEntry& e, ChangeKind kind) {
    if (e.type != FileType::directory) return {};
    auto tree = listing(e);
    if (!tree) return std::unexpected(tree.error());
    for (const auto& child : tree->entries) {
      if (!safe_name(child.name)) return fail("compare snapshots", path, 0, "unsafe entry name");
      if (auto r = whole(child_path(path, child.name), child, kind); !r) return r;
    }
    return {};
  }

  const Repository& repo_;
  const std::function<void(const Change&)>& visit_;
  DiffStats stats_;
};

const TreeEntry* root_entry(const SnapshotRecord& record, const std::string& path) {
  for (const auto& root : record.roots) {
    if (root.path == path) return &root.entry;
  }
  return nullptr;
}

}  // namespace

Result<DiffStats> diff_snapshots(const Repository& repo, const SnapshotRecord& from,
                                 const SnapshotRecord& to,
                                 const std::function<void(const Change&)>& visit) {
  Differ differ(repo, visit);
  for (const auto& root : from.roots) {
    if (auto r = differ.entry(root.path, &root.entry, root_entry(to, root.path)); !r) {
      return std::unexpected(r.error());
    }
  }
  for (const auto& root : to.roots) {
    if (root_entry(from, root.path) != nullptr) continue;
    if (auto r = differ.entry(root.path, nullptr, &root.entry); !r) {
      return std::unexpected(r.error());
    }
  }
  return differ.stats();
}

const char* change_marker(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::added:
      return "+";
    case ChangeKind::removed:
      return "-";
    case ChangeKind::modified:
      return "M";
    case ChangeKind::metadata:
      return "U";
    case ChangeKind::type:
      return "T";
  }
  return "?";
}

const char* change_name(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::added:
      return "added";
    case ChangeKind::removed:
      return "removed";
    case ChangeKind::modified:
      return "modified";
    case ChangeKind::metadata:
      return "metadata";
    case ChangeKind::type:
      return "type";
  }
  return "?";
}

}  // namespace nb::repo
