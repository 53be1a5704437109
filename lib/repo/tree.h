// A stored directory listing (a tree blob). Listings are content-addressed like file chunks,
// so a directory whose entries did not change encodes to the same bytes, gets the same blob
// id, and is shared by every snapshot that contains it (as git trees are): a no-change run
// stores no listing at all.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "repo/format/blob_id.h"
#include "util/error.h"
#include "util/file_type.h"
#include "util/hash.h"

namespace nb::repo {

// An extended attribute as a listing records it (fs::Xattr's twin: repo/ does not depend on
// fs/).
struct TreeXattr {
  std::string name;
  std::string value;
  bool operator==(const TreeXattr&) const = default;
};

struct TreeEntry {
  std::string name;  // one path component; the absolute path for a snapshot root
  // regular, directory, symlink, fifo, char_device or block_device (sockets are not kept)
  FileType type = FileType::regular;
  uint32_t mode = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime_ns = 0;
  // 0 where the node's transport gives none. Recorded so that a change of what the walk does
  // not see (extended attributes, a device number) shows in the listing's fingerprint: each
  // of them moves the ctime.
  int64_t ctime_ns = 0;
  // Hard links: a regular file with more than one link records its link count and its inode
  // and device, which restore uses to link the paths of one inode again (0 otherwise).
  uint32_t links = 0;
  uint64_t inode = 0;
  uint64_t dev = 0;
  bool sparse = false;            // regular: has holes, restored as holes
  uint64_t rdev = 0;              // character and block devices
  std::vector<TreeXattr> xattrs;  // sorted by name
  uint64_t size = 0;              // regular files
  std::optional<Hash> xxh3;       // regular: XXH3-128 of the whole content (change detection)
  std::vector<BlobId> content;    // regular: its chunks, in order (none for an empty file)
  // regular, instead of `content` for a file of more than ChunkLists::kInlineChunks chunks:
  // the pieces its chunk list is stored in (repo/chunk_list.h; file_chunks() reads them).
  std::vector<BlobId> chunk_lists;
  std::optional<BlobId> tree;  // directory: its listing
  // directory: listing_fingerprint() of its listing's entries. Absent in listings written
  // before it existed (migrated ones); a backup then reads the listing instead.
  std::optional<Hash> fingerprint;
  std::string target;  // symlinks

  bool operator==(const TreeEntry&) const = default;
};

struct Tree {
  std::vector<TreeEntry> entries;  // sorted by name
};

// Canonical encoding: the same listing always gives the same bytes.
std::string encode_tree(const Tree& tree);
// `what` names the object in errors.
Result<Tree> decode_tree(std::string_view data, const std::string& what);

// XXH3-128 over every field of `entries` (sorted by name) that encode_tree() writes except
// the blob ids (a file's chunks, a directory's listing), a directory contributing its own
// fingerprint instead, and except extended attributes and device numbers, which the walk does
// not see: the entry's ctime stands for them. A backup computes it from the walk and the hash store
// alone: when a directory's fingerprint equals the one its entry had in the node's newest snapshot,
// its listing would encode to the same bytes, so the job keeps that listing's id without reading,
// encoding or hashing it (docs/repository-format.md §9).
class ListingFingerprint {
 public:
  ListingFingerprint();
  void add(const TreeEntry& entry);
  Hash digest() const { return hasher_.digest(); }

 private:
  Hasher hasher_;
};

// "drwxr-xr-x", "crw-r-----", as ls -l shows an entry's type and permissions.
std::string mode_string(const TreeEntry& entry);

// A name that restore may create: one component, not "." or "..", no '/' or NUL.
bool safe_name(std::string_view name);

}  // namespace nb::repo
