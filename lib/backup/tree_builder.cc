#include "backup/tree_builder.h"

#include <algorithm>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "repo/browse.h"
#include "repo/chunk_list.h"

namespace nb::backup {

namespace {

std::string_view base_name(std::string_view path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// The entry named `name` in a listing sorted by name, or nullptr.
const repo::TreeEntry* find_by_name(const repo::Tree& tree, std::string_view name) {
  const auto it = std::lower_bound(
      tree.entries.begin(), tree.entries.end(), name,
      [](const repo::TreeEntry& e, std::string_view wanted) { return e.name < wanted; });
  return it != tree.entries.end() && it->name == name ? &*it : nullptr;
}

}  // namespace

TreeBuilder::TreeBuilder(const Scan& scan, const repo::Repository& repo,
                         const fs::Capabilities& caps)
    : scan_(scan), repo_(repo), caps_(caps), dir_of_(scan.size(), kNotDir) {
  std::unordered_map<std::string_view, uint32_t> index;  // directory path → its dirs_ index
  std::vector<uint32_t> parent(scan_.size(), kNotDir);   // entry → its parent's dirs_ index
  std::unordered_set<size_t> roots(scan_.root_indexes.begin(), scan_.root_indexes.end());
  for (size_t i = 0; i < scan_.size(); ++i) {
    const auto path = scan_.path(i);
    if (scan_.type(i) == FileType::directory) {
      dir_of_[i] = static_cast<uint32_t>(dirs_.size());
      dirs_.emplace_back();
      index.emplace(path, dir_of_[i]);
    }
    if (roots.contains(i)) continue;
    const auto slash = path.find_last_of('/');
    const auto it = index.find(path.substr(0, slash == 0 ? 1 : slash));
    if (it == index.end()) continue;
    parent[i] = it->second;
    ++dirs_[it->second].child_count;
  }
  uint32_t next = 0;
  for (auto& dir : dirs_) {
    dir.first_child = next;
    next += dir.child_count;
    dir.child_count = 0;
  }
  children_.resize(next);
  for (size_t i = 0; i < scan_.size(); ++i) {
    if (parent[i] == kNotDir) continue;
    Dir& dir = dirs_[parent[i]];
    children_[dir.first_child + dir.child_count++] = static_cast<uint32_t>(i);
  }
  // Listings are sorted by name; so are fingerprints, which are computed without building one.
  for (const auto& dir : dirs_) {
    auto first = children_.begin() + dir.first_child;
    std::sort(first, first + dir.child_count, [this](uint32_t a, uint32_t b) {
      return base_name(scan_.path(a)) < base_name(scan_.path(b));
    });
  }
}

// Entry `i` as a listing holds it, without blob ids or a directory's fingerprint; nullopt when
// it is left out.
std::optional<repo::TreeEntry> TreeBuilder::entry_of(size_t i,
                                                     const std::vector<FileState>& files) const {
  const auto type = scan_.type(i);
  repo::TreeEntry e;
  switch (type) {
    case FileType::regular:
      if (files[i].kind != FileState::Kind::known) return std::nullopt;
      e.xxh3 = files[i].hash;
      e.size = scan_.file_size(i);
      break;
    case FileType::symlink:
    case FileType::directory:
      break;
    case FileType::fifo:
    case FileType::char_device:
    case FileType::block_device:
      if (!caps_.specials) return std::nullopt;
      break;
    default:
      return std::nullopt;
  }
  auto meta = scan_.meta(i);
  e.name = base_name(scan_.path(i));
  e.target = std::move(meta.link_target);
  e.type = type;
  e.mode = meta.mode;
  e.uid = meta.uid;
  e.gid = meta.gid;
  e.mtime_ns = meta.mtime_ns;
  if (caps_.ctime) e.ctime_ns = meta.ctime_ns;
  if (type == FileType::regular) {
    e.sparse = caps_.sparse && meta.sparse;
    if (caps_.hardlinks && meta.nlink > 1) {
      e.links = meta.nlink;
      e.inode = meta.inode;
      e.dev = meta.dev;
    }
  }
  if (const auto it = extras_.find(static_cast<uint32_t>(i)); it != extras_.end()) {
    for (const auto& x : it->second.xattrs) e.xattrs.push_back({x.name, x.value});
    if (type == FileType::char_device || type == FileType::block_device) e.rdev = it->second.rdev;
  }
  return e;
}

void TreeBuilder::set_extras(size_t i, fs::Extras extras) {
  if (extras.xattrs.empty() && extras.rdev == 0) {
    extras_.erase(static_cast<uint32_t>(i));
  } else {
    extras_[static_cast<uint32_t>(i)] = std::move(extras);
  }
}

// Entry `i` is in a listing that is built again. What the walk cannot see of it is taken from
// its entry in the newest snapshot when its ctime has not moved since (every change of an
// extended attribute or a device number moves it); otherwise it is asked for.
void TreeBuilder::carry_extras(size_t i, const repo::TreeEntry* prior,
                               std::vector<FileState>& files) {
  const auto type = scan_.type(i);
  const bool device = type == FileType::char_device || type == FileType::block_device;
  const bool wanted = caps_.xattrs || (caps_.specials && device);
  if (!wanted || !caps_.ctime) return;
  if (type == FileType::regular && files[i].kind != FileState::Kind::known) return;  // read
  // Left out of the listing (a socket, a special without the capability): nothing to carry.
  const bool listed = type == FileType::regular || type == FileType::directory ||
                      type == FileType::symlink ||
                      (caps_.specials && (type == FileType::fifo || device));
  if (!listed) return;
  const auto meta = scan_.meta(i);
  if (prior != nullptr && prior->type == type && prior->ctime_ns != 0 &&
      prior->ctime_ns == meta.ctime_ns) {
    fs::Extras extras;
    for (const auto& x : prior->xattrs) extras.xattrs.push_back({x.name, x.value});
    extras.rdev = prior->rdev;
    set_extras(i, std::move(extras));
    return;
  }
  if (type == FileType::regular) {
    // Its content is known, its extended attributes are not: read it again (it stores nothing
    // new). This happens once to files recorded before ctimes were.
    if (unresolved_.empty() || unresolved_.back() != i) unresolved_.push_back(i);
    return;
  }
  extras_wanted_.push_back(i);
}

// Every directory's fingerprint and whether all files below it are known, children first
// (the scan lists parents before children, and dirs_ is in scan order).
void TreeBuilder::fingerprint_all(const std::vector<FileState>& files) {
  for (size_t d = dirs_.size(); d-- > 0;) {
    Dir& dir = dirs_[d];
    repo::ListingFingerprint fingerprint;
    bool clean = true;
    for (uint32_t child : children(dir)) {
      const auto type = scan_.type(child);
      if (type == FileType::regular && files[child].kind != FileState::Kind::known) clean = false;
      if (type == FileType::directory && !dirs_[dir_of_[child]].clean) clean = false;
      auto entry = entry_of(child, files);
      if (!entry) continue;
      if (type == FileType::directory) entry->fingerprint = dirs_[dir_of_[child]].fingerprint;
      fingerprint.add(*entry);
    }
    dir.fingerprint = fingerprint.digest();
    dir.clean = clean;
  }
}

std::vector<size_t> TreeBuilder::align(const std::optional<repo::SnapshotRecord>& newest,
                                       std::vector<FileState>& files,
                                       std::vector<std::string>& warnings) {
  warnings_ = &warnings;
  unresolved_.clear();
  for (auto& dir : dirs_) dir.kept.reset();
  listings_kept_ = listings_read_ = 0;
  extras_wanted_.clear();
  // A pack lost by hand leaves the newest snapshot naming blobs that are gone: then every
  // chunk is looked up, and no listing is kept whole.
  check_chunks_ = !repo_.index_whole();
  fingerprint_all(files);
  for (size_t i : scan_.root_indexes) {
    const repo::TreeEntry* prior = nullptr;
    if (newest) {
      for (const auto& root : newest->roots) {
        if (root.path == scan_.path(i)) prior = &root.entry;
      }
    }
    align_entry(i, prior, files);
    carry_extras(i, prior, files);
  }
  warnings_ = nullptr;
  return std::move(unresolved_);
}

bool TreeBuilder::chunks_present(const repo::TreeEntry& prior) const {
  const auto has = [this](const repo::BlobId& id) { return repo_.has_blob(id); };
  if (!std::all_of(prior.chunk_lists.begin(), prior.chunk_lists.end(), has)) return false;
  // A piece that does not read is as good as missing: the file is read again.
  auto chunks = repo::file_chunks(repo_, prior);
  return chunks && std::all_of(chunks->begin(), chunks->end(), has);
}

void TreeBuilder::align_entry(size_t i, const repo::TreeEntry* prior,
                              std::vector<FileState>& files) {
  switch (scan_.type(i)) {
    case FileType::regular: {
      FileState& f = files[i];
      if (f.kind != FileState::Kind::known) return;
      const bool same = prior != nullptr && prior->type == FileType::regular &&
                        prior->xxh3 == f.hash && (!check_chunks_ || chunks_present(*prior));
      if (same) {
        f.pieces = !prior->chunk_lists.empty();
        f.ids = f.pieces ? prior->chunk_lists : prior->content;
      } else {
        unresolved_.push_back(i);
      }
      return;
    }
    case FileType::directory:
      return align_directory(i, prior, files);
    default:
      return;
  }
}

void TreeBuilder::align_directory(size_t i, const repo::TreeEntry* prior,
                                  std::vector<FileState>& files) {
  Dir& dir = dirs_[dir_of_[i]];
  const bool had = prior != nullptr && prior->type == FileType::directory && prior->tree;
  if (had && dir.clean && !check_chunks_ && prior->fingerprint == dir.fingerprint &&
      repo_.has_blob(*prior->tree)) {
    dir.kept = *prior->tree;
    ++listings_kept_;
    return;
  }
  std::optional<repo::Tree> old;
  if (had) {
    auto tree = repo::load_tree(repo_, *prior->tree);
    if (tree) {
      old = std::move(*tree);
      ++listings_read_;
    } else {
      warnings_->push_back(std::string(scan_.path(i)) + ": " + tree.error().message() +
                           "; its files are read again");
    }
  }
  for (uint32_t child : children(dir)) {
    const auto name = base_name(scan_.path(child));
    const repo::TreeEntry* prior_child = old ? find_by_name(*old, name) : nullptr;
    align_entry(child, prior_child, files);
    carry_extras(child, prior_child, files);
  }
}

Result<std::optional<repo::TreeEntry>> TreeBuilder::build_entry(size_t i,
                                                                const std::vector<FileState>& files,
                                                                repo::BlobBatch& batch) {
  auto e = entry_of(i, files);
  if (!e) return std::nullopt;
  if (e->type == FileType::regular) {
    if (files[i].pieces) {
      e->chunk_lists = files[i].ids;
    } else if (auto r = repo::set_file_chunks(batch, *e, files[i].ids); !r) {
      return std::unexpected(r.error());
    }
  } else if (e->type == FileType::directory) {
    const Dir& dir = dirs_[dir_of_[i]];
    if (dir.kept) {
      e->tree = dir.kept;
      e->fingerprint = dir.fingerprint;
      return e;
    }
    repo::Tree tree;
    repo::ListingFingerprint fingerprint;
    for (uint32_t child : children(dir)) {
      auto entry = build_entry(child, files, batch);
      if (!entry) return std::unexpected(entry.error());
      if (!*entry) continue;
      fingerprint.add(**entry);
      tree.entries.push_back(std::move(**entry));
    }
    auto added = batch.add(repo::BlobType::tree, repo::encode_tree(tree));
    if (!added) return std::unexpected(added.error());
    e->tree = added->id;
    e->fingerprint = fingerprint.digest();
  }
  return e;
}

Result<std::vector<repo::SnapshotRoot>> TreeBuilder::build(const std::vector<FileState>& files,
                                                           repo::BlobBatch& batch) {
  std::vector<repo::SnapshotRoot> roots;
  for (size_t i : scan_.root_indexes) {
    auto entry = build_entry(i, files, batch);
    if (!entry) return std::unexpected(entry.error());
    if (*entry) roots.push_back({std::string(scan_.path(i)), std::move(**entry)});
  }
  return roots;
}

}  // namespace nb::backup
