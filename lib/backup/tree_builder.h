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

#include <optional>
#include <vector>

#include "backup/scan.h"
#include "repo/repository.h"
#include "repo/snapshot.h"

namespace nb::backup {

// What the job knows of one scanned entry's content.
struct FileState {
  enum class Kind { not_file, pending, known, failed };
  Kind kind = Kind::not_file;
  Hash hash;                          // known: XXH3 of the content
  fs::FileMeta meta;                  // known: the metadata recorded with that content
  std::vector<repo::BlobId> content;  // known: its chunks (empty below a kept listing)
  // known, instead of `content`: the stored pieces of its chunk list, kept from the newest
  // snapshot without reading them (repo/chunk_list.h).
  std::vector<repo::BlobId> chunk_lists;
};

class TreeBuilder {
 public:
  TreeBuilder(const Scan& scan, const repo::Repository& repo);

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

  // Listings kept from the newest snapshot, and old listings read, by the last align().
  size_t listings_kept() const { return listings_kept_; }
  size_t listings_read() const { return listings_read_; }

 private:
  std::optional<repo::TreeEntry> entry_of(size_t i, const std::vector<FileState>& files) const;
  void fingerprint_all(const std::vector<FileState>& files);
  bool chunks_present(const repo::TreeEntry& prior) const;
  void align_entry(size_t i, const repo::TreeEntry* prior, std::vector<FileState>& files);
  void align_directory(size_t dir, const repo::TreeEntry* prior, std::vector<FileState>& files);
  Result<std::optional<repo::TreeEntry>> build_entry(size_t i, const std::vector<FileState>& files,
                                                     repo::BlobBatch& batch);

  const Scan& scan_;
  const repo::Repository& repo_;
  std::vector<std::vector<size_t>> children_;      // of each directory, sorted by name
  std::vector<Hash> fingerprint_;                  // of each directory (valid where clean_)
  std::vector<bool> clean_;                        // directory: every file below it known
  std::vector<std::optional<repo::BlobId>> kept_;  // directory: its listing, kept
  bool check_chunks_ = true;                       // the index may lack a kept snapshot's blob
  std::vector<size_t> unresolved_;
  std::vector<std::string>* warnings_ = nullptr;
  size_t listings_kept_ = 0;
  size_t listings_read_ = 0;
};

}  // namespace nb::backup
