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

TreeBuilder::TreeBuilder(const Scan& scan, const repo::Repository& repo)
    : scan_(scan),
      repo_(repo),
      children_(scan.entries.size()),
      fingerprint_(scan.entries.size()),
      clean_(scan.entries.size(), false),
      kept_(scan.entries.size()) {
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
  // Listings are sorted by name; so are fingerprints, which are computed without building one.
  for (auto& children : children_) {
    std::sort(children.begin(), children.end(), [this](size_t a, size_t b) {
      return base_name(scan_.entries[a].path) < base_name(scan_.entries[b].path);
    });
  }
}

// Entry `i` as a listing holds it, without blob ids or a directory's fingerprint; nullopt when
// it is left out.
std::optional<repo::TreeEntry> TreeBuilder::entry_of(size_t i,
                                                     const std::vector<FileState>& files) const {
  const auto& scanned = scan_.entries[i];
  repo::TreeEntry e;
  e.name = base_name(scanned.path);
  const fs::FileMeta* meta = &scanned.meta;
  switch (scanned.meta.type) {
    case FileType::regular: {
      const FileState& f = files[i];
      if (f.kind != FileState::Kind::known) return std::nullopt;
      meta = &f.meta;
      e.xxh3 = f.hash;
      e.size = f.meta.size;
      break;
    }
    case FileType::symlink:
      e.target = scanned.meta.link_target;
      break;
    case FileType::directory:
      break;
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

// Every directory's fingerprint and whether all files below it are known, children first
// (the scan lists parents before children).
void TreeBuilder::fingerprint_all(const std::vector<FileState>& files) {
  for (size_t i = scan_.entries.size(); i-- > 0;) {
    if (scan_.entries[i].meta.type != FileType::directory) continue;
    repo::ListingFingerprint fingerprint;
    bool clean = true;
    for (size_t child : children_[i]) {
      const auto type = scan_.entries[child].meta.type;
      if (type == FileType::regular && files[child].kind != FileState::Kind::known) clean = false;
      if (type == FileType::directory && !clean_[child]) clean = false;
      auto entry = entry_of(child, files);
      if (!entry) continue;
      if (type == FileType::directory) entry->fingerprint = fingerprint_[child];
      fingerprint.add(*entry);
    }
    fingerprint_[i] = fingerprint.digest();
    clean_[i] = clean;
  }
}

std::vector<size_t> TreeBuilder::align(const std::optional<repo::SnapshotRecord>& newest,
                                       std::vector<FileState>& files,
                                       std::vector<std::string>& warnings) {
  warnings_ = &warnings;
  unresolved_.clear();
  std::fill(kept_.begin(), kept_.end(), std::nullopt);
  listings_kept_ = listings_read_ = 0;
  // A pack lost by hand leaves the newest snapshot naming blobs that are gone: then every
  // chunk is looked up, and no listing is kept whole.
  check_chunks_ = !repo_.index_whole();
  fingerprint_all(files);
  for (size_t i : scan_.root_indexes) {
    const repo::TreeEntry* prior = nullptr;
    if (newest) {
      for (const auto& root : newest->roots) {
        if (root.path == scan_.entries[i].path) prior = &root.entry;
      }
    }
    align_entry(i, prior, files);
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
  switch (scan_.entries[i].meta.type) {
    case FileType::regular: {
      FileState& f = files[i];
      if (f.kind != FileState::Kind::known) return;
      const bool same = prior != nullptr && prior->type == FileType::regular &&
                        prior->xxh3 == f.hash && (!check_chunks_ || chunks_present(*prior));
      if (same) {
        f.content = prior->content;
        f.chunk_lists = prior->chunk_lists;
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

void TreeBuilder::align_directory(size_t dir, const repo::TreeEntry* prior,
                                  std::vector<FileState>& files) {
  const bool had = prior != nullptr && prior->type == FileType::directory && prior->tree;
  if (had && clean_[dir] && !check_chunks_ && prior->fingerprint == fingerprint_[dir] &&
      repo_.has_blob(*prior->tree)) {
    kept_[dir] = *prior->tree;
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
      warnings_->push_back(scan_.entries[dir].path + ": " + tree.error().message() +
                           "; its files are read again");
    }
  }
  for (size_t child : children_[dir]) {
    const auto name = base_name(scan_.entries[child].path);
    align_entry(child, old ? find_by_name(*old, name) : nullptr, files);
  }
}

Result<std::optional<repo::TreeEntry>> TreeBuilder::build_entry(size_t i,
                                                                const std::vector<FileState>& files,
                                                                repo::BlobBatch& batch) {
  auto e = entry_of(i, files);
  if (!e) return std::nullopt;
  if (e->type == FileType::regular) {
    if (!files[i].chunk_lists.empty()) {
      e->chunk_lists = files[i].chunk_lists;
    } else if (auto r = repo::set_file_chunks(batch, *e, files[i].content); !r) {
      return std::unexpected(r.error());
    }
  } else if (e->type == FileType::directory) {
    if (kept_[i]) {
      e->tree = kept_[i];
      e->fingerprint = fingerprint_[i];
      return e;
    }
    repo::Tree tree;
    repo::ListingFingerprint fingerprint;
    for (size_t child : children_[i]) {
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
    if (*entry) roots.push_back({scan_.entries[i].path, std::move(**entry)});
  }
  return roots;
}

}  // namespace nb::backup
