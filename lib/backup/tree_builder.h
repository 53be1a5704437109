// The scan as a tree of listings, aligned with the node's newest snapshot.
//
// An unchanged file's listing entry needs its chunk list, which the hash store does not hold
// (it keeps only the XXH3); the node's newest snapshot does. Rather than reading all of that
// snapshot, the builder compares fingerprints (repo::ListingFingerprint, computed from the
// walk and the hash store alone) directory by directory, from the roots down:
// - a directory whose fingerprint equals its entry's in the newest snapshot, with nothing in it
//   to read, keeps that listing's id: it is neither read, nor encoded, nor hashed again, and
//   nothing below it is looked at (a no-change run reads no listing at all);
// - any other directory's old listing is read, and gives each unchanged file in it its chunk
//   list, by name, when the old entry has the same XXH3; a file without one is read.
// Taking chunk lists by path from the node's own snapshot (not from an XXH3 → chunks map shared
// by all nodes) means a node that crafts an XXH3 collision can only ever point its own entries
// at its own content (docs/repository-format.md §9).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "backup/scan.h"
#include "repo/repository.h"
#include "repo/snapshot.h"

namespace nb::backup {

// What the job knows of one scanned entry's content (one per entry of the run: kept small).
struct FileState {
  enum class Kind : uint8_t { not_file, pending, known, failed };
  Kind kind = Kind::not_file;
  // known: `ids` are not its chunks but the stored pieces of its chunk list, kept from the
  // newest snapshot without reading them (repo/chunk_list.h).
  bool pieces = false;
  Hash hash;                      // known: XXH3 of the content
  std::vector<repo::BlobId> ids;  // known: its chunks or pieces (empty below a kept listing)
};
// A known file's metadata is the scan's (Scan::set_meta() after a read).

class TreeBuilder {
 public:
  TreeBuilder(const Scan& scan, const repo::Repository& repo, const fs::Capabilities& caps);

  // Before the read: `files` holds every file that passed the quick check as known (without
  // chunks) and every other as pending. Keeps the listings of unchanged directories and fills
  // in the other known files' chunk lists from `newest` (none: the node's first run).
  // Returns the known files no chunk list was found for; the caller reads them.
  std::vector<size_t> align(const std::optional<repo::SnapshotRecord>& newest,
                            std::vector<FileState>& files, std::vector<std::string>& warnings);

  // The snapshot's roots, storing every listing not kept through `batch`. Entries whose
  // content is not known (pending, failed) and special files are left out, so a checkpoint's
  // snapshot only refers to content that is stored.
  Result<std::vector<repo::SnapshotRoot>> build(const std::vector<FileState>& files,
                                                repo::BlobBatch& batch);

  // Entries of rebuilt listings whose extras (extended attributes, device number) could not be
  // taken over from the newest snapshot because their ctime moved: the caller asks the node
  // (NodeFs::read_extras) and hands them to set_extras(). Regular files in that case are
  // returned by align() to be read instead, their extras coming with their content.
  const std::vector<size_t>& extras_wanted() const { return extras_wanted_; }
  void set_extras(size_t i, fs::Extras extras);

  // Listings kept from the newest snapshot, and old listings read, by the last align().
  size_t listings_kept() const { return listings_kept_; }
  size_t listings_read() const { return listings_read_; }

 private:
  std::optional<repo::TreeEntry> entry_of(size_t i, const std::vector<FileState>& files) const;
  void fingerprint_all(const std::vector<FileState>& files);
  bool chunks_present(const repo::TreeEntry& prior) const;
  void align_entry(size_t i, const repo::TreeEntry* prior, std::vector<FileState>& files);
  void carry_extras(size_t i, const repo::TreeEntry* prior, std::vector<FileState>& files);
  void align_directory(size_t dir, const repo::TreeEntry* prior, std::vector<FileState>& files);
  Result<std::optional<repo::TreeEntry>> build_entry(size_t i, const std::vector<FileState>& files,
                                                     repo::BlobBatch& batch);

  // What the builder keeps per directory; files need nothing of their own, so a node's
  // 100,000 files cost the builder 8 bytes each (dir_of_ and children_).
  struct Dir {
    uint32_t first_child = 0;  // in children_
    uint32_t child_count = 0;
    bool clean = false;                // every file below it known
    Hash fingerprint;                  // valid where clean
    std::optional<repo::BlobId> kept;  // its listing, kept from the newest snapshot
  };
  static constexpr uint32_t kNotDir = UINT32_MAX;
  std::span<const uint32_t> children(const Dir& dir) const {
    return {children_.data() + dir.first_child, dir.child_count};
  }

  const Scan& scan_;
  const repo::Repository& repo_;
  fs::Capabilities caps_;
  // Extras by entry, only for entries that have any (most have none).
  std::unordered_map<uint32_t, fs::Extras> extras_;
  std::vector<size_t> extras_wanted_;
  std::vector<uint32_t> dir_of_;  // entry → its index in dirs_, or kNotDir
  std::vector<Dir> dirs_;
  std::vector<uint32_t> children_;  // every directory's children, sorted by name, one after another
  bool check_chunks_ = true;        // the index may lack a kept snapshot's blob
  std::vector<size_t> unresolved_;
  std::vector<std::string>* warnings_ = nullptr;
  size_t listings_kept_ = 0;
  size_t listings_read_ = 0;
};

}  // namespace nb::backup
