#include "backup/scan.h"

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>
#include <unordered_set>

namespace nb::backup {

namespace {

std::string_view parent_of(std::string_view path) {
  const auto slash = path.find_last_of('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

class ScanVisitor final : public fs::WalkVisitor {
 public:
  ScanVisitor(Scan& scan, const std::string& root, const ScanRules& rules,
              const ExcludeRules& exclude, const KnownPaths& known)
      : scan_(scan), root_(root), rules_(rules), exclude_(exclude), known_(known) {}

  bool entry(const std::string& path, const fs::FileMeta& meta) override {
    bool other_filesystem = false;
    // The node names its entries, and a node is not trusted: a name outside the walked root,
    // with "." or ".." components or empty ones, would put a file somewhere else in the
    // snapshot (and in a restore) than where it is on the node.
    if (first_ ? path != root_ : !well_formed_descendant(root_, path)) {
      error(Error("walk", path.substr(0, kMaxPathLength), EINVAL,
                  "the node named an entry outside " + root_ + " or with a malformed path"));
      return false;
    }
    // Parents before children is the walk's contract; an entry whose directory was not
    // listed before it would be read and written back but belong to no listing.
    if (!first_ && !directories_.contains(parent_of(path))) {
      error(Error("walk", path.substr(0, kMaxPathLength), EINVAL,
                  "the node listed an entry before (or without) its directory"));
      return false;
    }
    if (!first_ && left_out(path, meta)) return false;
    if (rules_.one_file_system && meta.type == FileType::directory) {
      if (first_) root_dev_ = meta.dev;
      other_filesystem = !first_ && meta.dev != root_dev_;
    }
    // The job indexes entries with 32 bits (tree_builder.h); a walk that long is refused
    // rather than wrapped.
    if (scan_.size() >= kMaxScanEntries) {
      if (!overflowed_) {
        error(Error("walk", root_, EOVERFLOW,
                    "more than 4,294,967,294 entries; the rest are skipped"));
      }
      overflowed_ = true;
      return false;
    }
    if (first_) scan_.root_indexes.push_back(scan_.size());
    first_ = false;
    scan_.add(path, meta, held(path, meta.type));
    if (meta.type == fs::FileType::directory) directories_.insert(scan_.path(scan_.size() - 1));
    return !other_filesystem;
  }

  bool one_file_system() const override { return rules_.one_file_system; }

  void error(const Error& error) override { scan_.problems.push_back(error); }

 private:
  // The store's copy of a file's path, if it has one. Until the store is loaded (a one-shot
  // run loads it while walking) it is asked again at each directory.
  std::string_view held(const std::string& path, FileType type) {
    if (known_entries_ == nullptr && known_ && type == FileType::directory) {
      known_entries_ = known_();
    }
    if (known_entries_ == nullptr || type != FileType::regular) return {};
    const auto it = known_entries_->find(path);
    return it == known_entries_->end() ? std::string_view() : it->first;
  }

  bool left_out(const std::string& path, const fs::FileMeta& meta) {
    if (exclude_.excluded(root_, path, meta.type == FileType::directory)) return true;
    return rules_.exclude_larger_than && meta.type == FileType::regular &&
           meta.size > *rules_.exclude_larger_than;
  }

  Scan& scan_;
  const std::string& root_;
  const ScanRules& rules_;
  const ExcludeRules& exclude_;
  const KnownPaths& known_;
  const store::NodeEntries* known_entries_ = nullptr;
  bool first_ = true;
  bool overflowed_ = false;
  uint64_t root_dev_ = 0;
  std::unordered_set<std::string_view>
      directories_;  // seen so far (in scan_), for the parent check
};

}  // namespace

fs::FileMeta Scan::meta(size_t i) const {
  const Item& item = items_[i];
  fs::FileMeta m;
  m.type = item.type;
  m.mode = item.mode;
  m.uid = item.uid;
  m.gid = item.gid;
  m.size = item.size;
  m.mtime_ns = item.mtime_ns;
  m.ctime_ns = item.ctime_ns;
  m.inode = item.inode;
  m.sparse = item.sparse;
  m.nlink = 1;
  const auto group =
      std::lower_bound(links_.begin(), links_.end(), i,
                       [](const Links& links, size_t wanted) { return links.index < wanted; });
  if (group != links_.end() && group->index == i) {
    m.nlink = group->nlink;
    m.dev = group->dev;
  }
  if (item.type == FileType::symlink) {
    const auto it =
        std::lower_bound(link_targets_.begin(), link_targets_.end(), i,
                         [](const auto& link, size_t wanted) { return link.first < wanted; });
    if (it != link_targets_.end() && it->first == i) m.link_target = it->second;
  }
  return m;
}

void Scan::assign(Item& item, const fs::FileMeta& meta) {
  item.type = meta.type;
  item.mode = meta.mode;
  item.uid = meta.uid;
  item.gid = meta.gid;
  item.size = meta.size;
  item.mtime_ns = meta.mtime_ns;
  item.ctime_ns = meta.ctime_ns;
  item.inode = meta.inode;
  item.sparse = meta.sparse;
}

void Scan::add(std::string_view path, const fs::FileMeta& meta, std::string_view held) {
  Item& item = items_.emplace_back();
  item.path = held == path ? held : paths_.keep(path);
  assign(item, meta);
  if (meta.nlink > 1 && meta.type != FileType::directory) {
    links_.push_back({items_.size() - 1, meta.dev, meta.nlink});
  }
  if (meta.type == FileType::symlink) {
    link_targets_.emplace_back(items_.size() - 1, paths_.keep(meta.link_target));
  }
}

void Scan::set_meta(size_t i, const fs::FileMeta& meta) {
  // Only a file's metadata changes (after its read); a symlink's target stays where it is.
  if (meta.type == FileType::regular && items_[i].type == FileType::regular)
    assign(items_[i], meta);
}

void Scan::filter(const std::vector<bool>& keep) {
  std::vector<size_t> moved(items_.size(), SIZE_MAX);  // old index → new
  size_t next = 0;
  for (size_t i = 0; i < items_.size(); ++i) {
    if (!keep[i]) continue;
    moved[i] = next;
    if (next != i) items_[next] = items_[i];
    ++next;
  }
  items_.resize(next);
  const auto remap = [&moved](auto& list, auto index_of) {
    size_t out = 0;
    for (auto& x : list) {
      auto& index = index_of(x);
      if (moved[index] == SIZE_MAX) continue;
      index = moved[index];
      list[out++] = x;
    }
    list.resize(out);
  };
  remap(link_targets_, [](auto& x) -> size_t& { return x.first; });
  remap(links_, [](Links& x) -> size_t& { return x.index; });
  for (auto& root : root_indexes) root = moved[root];
}

namespace {

// CACHEDIR.TAG counts only if it starts with the specification's signature, so a file that
// happens to have the name does not hide a directory.
constexpr std::string_view kCacheDirTag = "CACHEDIR.TAG";
constexpr std::string_view kCacheDirSignature = "Signature: 8a477f597d28d172789f06886806bc55";

// Collects the first bytes of each CACHEDIR.TAG read.
class TagSink final : public fs::ReadSink {
 public:
  void begin(const std::string& path, const fs::FileMeta&) override {
    current_ = path;
    heads_[path].clear();
  }
  Result<> data(std::string_view chunk) override {
    auto& head = heads_[current_];
    if (head.size() < kCacheDirSignature.size()) {
      head.append(chunk.substr(0, kCacheDirSignature.size() - head.size()));
    }
    return {};
  }
  void end(const std::string& path, const Result<fs::ReadDone>& outcome) override {
    if (!outcome) heads_.erase(path);
  }
  bool signed_tag(const std::string& path) const {
    const auto it = heads_.find(path);
    return it != heads_.end() && it->second == kCacheDirSignature;
  }

 private:
  std::map<std::string, std::string> heads_;
  std::string current_;
};

std::string_view base_of(std::string_view path) {
  return path.substr(path.find_last_of('/') + 1);
}

// Leaves out the contents of every directory holding one of `rules.exclude_if_present`,
// except the tag itself.
Result<> drop_tagged(fs::NodeFs& fs, const ScanRules& rules, Scan& scan) {
  const std::unordered_set<std::string_view> tags(rules.exclude_if_present.begin(),
                                                  rules.exclude_if_present.end());
  std::vector<std::string> cachedir_tags;
  std::unordered_set<std::string_view> tagged;  // directories
  for (size_t i = 0; i < scan.size(); ++i) {
    if (scan.type(i) != FileType::regular || !tags.contains(base_of(scan.path(i)))) continue;
    if (base_of(scan.path(i)) == kCacheDirTag) {
      cachedir_tags.emplace_back(scan.path(i));
    } else {
      tagged.insert(parent_of(scan.path(i)));
    }
  }
  TagSink sink;
  if (!cachedir_tags.empty()) {
    if (auto r = fs.read_files(cachedir_tags, sink); !r) return r;
  }
  std::set<std::string> signed_parents;
  for (const auto& path : cachedir_tags) {
    if (sink.signed_tag(path)) signed_parents.emplace(parent_of(path));
  }
  for (const auto& p : signed_parents) tagged.insert(p);
  if (tagged.empty()) return {};
  std::vector<bool> keep(scan.size(), true);
  std::unordered_set<std::string_view> dropped_dirs;
  const std::unordered_set<size_t> roots(scan.root_indexes.begin(), scan.root_indexes.end());
  for (size_t i = 0; i < scan.size(); ++i) {
    if (roots.contains(i)) continue;
    const auto path = scan.path(i);
    const auto parent = parent_of(path);
    bool drop = dropped_dirs.contains(parent);
    if (!drop && tagged.contains(parent)) {
      drop = !(scan.type(i) == FileType::regular && tags.contains(base_of(path)));
    }
    if (!drop) continue;
    keep[i] = false;
    if (scan.type(i) == FileType::directory) dropped_dirs.insert(path);
  }
  scan.filter(keep);
  return {};
}

}  // namespace

bool well_formed_descendant(std::string_view root, std::string_view path) {
  if (path.size() > kMaxPathLength) return false;
  if (root != "/") {
    if (!path.starts_with(root) || path.size() <= root.size() + 1 || path[root.size()] != '/') {
      return false;
    }
    path.remove_prefix(root.size());
  } else if (path.size() < 2 || path[0] != '/') {
    return false;
  }
  // path is now "/a/b/c": every component non-empty, none "." or "..".
  while (!path.empty()) {
    path.remove_prefix(1);
    const auto next = path.find('/');
    const std::string_view name = path.substr(0, next);
    if (name.empty() || name == "." || name == "..") return false;
    path.remove_prefix(next == std::string_view::npos ? path.size() : next);
  }
  return true;
}

Result<Scan> scan_roots(fs::NodeFs& fs, const std::vector<std::string>& roots,
                        const ScanRules& rules, const KnownPaths& known) {
  Scan scan;
  const ExcludeRules exclude(rules.exclude);
  for (const auto& root : roots) {
    ScanVisitor visitor(scan, root, rules, exclude, known);
    auto walked = fs.walk(root, visitor);
    if (walked) continue;
    // A missing or forbidden root is the node's state, reported and counted; anything else
    // (a dropped connection) means we cannot tell what exists, so nothing may be concluded.
    const int code = walked.error().code();
    if (walked.error().transient() || (code != ENOENT && code != EACCES && code != ENOTDIR)) {
      return std::unexpected(walked.error());
    }
    scan.problems.push_back(walked.error());
  }
  if (!rules.exclude_if_present.empty()) {
    if (auto r = drop_tagged(fs, rules, scan); !r) return std::unexpected(r.error());
  }
  return scan;
}

}  // namespace nb::backup
