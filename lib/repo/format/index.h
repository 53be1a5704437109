// The index: blob id → (pack, offset, length). In storage it is a set of index files,
// index/<BLAKE2b-256 of the file>, each a sealed, zstd-compressed list of packs and the blobs
// in them; a backup adds one per commit, prune replaces them all with one. In memory it is
// one sorted vector of fixed-size records (48 bytes a blob) and a table of packs, so 1
// million blobs cost ~48 MB and a lookup is a binary search, without a string or a node
// allocation per blob.
//
// Not thread-safe: the Repository guards its Index with a mutex.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "repo/format/blob_id.h"
#include "repo/format/keys.h"
#include "repo/format/pack.h"
#include "util/error.h"

namespace nb::repo {

// What one index file says about one pack.
struct PackRecord {
  BlobId pack_id;
  uint64_t size = 0;  // bytes of the pack file
  std::vector<PackBlob> blobs;
};

struct BlobLocation {
  BlobId pack_id;
  uint32_t offset = 0;
  uint32_t length = 0;
  BlobType type = BlobType::data;
};

class Index {
 public:
  // Adds a pack's blobs; call finalize() before the next lookup.
  void add(const PackRecord& pack);
  // Sorts what was added since the last finalize() into place.
  void finalize();
  void clear();

  std::optional<BlobLocation> find(const BlobId& id) const;
  bool contains(const BlobId& id) const { return find(id).has_value(); }
  size_t blob_count() const { return entries_.size(); }
  size_t pack_count() const { return packs_.size(); }
  // Bytes of RAM the index holds (its vectors' capacity).
  size_t memory_bytes() const;

  struct PackInfo {
    BlobId id;
    uint64_t size = 0;
  };
  const std::vector<PackInfo>& packs() const { return packs_; }
  // Calls `visit(blob id, type, pack number, offset, length)` for every entry, in id order;
  // a blob stored twice is visited twice.
  template <typename F>
  void for_each(F&& visit) const {
    for (const auto& e : entries_) visit(e.id, e.type, e.pack, e.offset, e.length);
  }

 private:
  struct Entry {
    BlobId id;
    uint32_t pack;
    uint32_t offset;
    uint32_t length;
    BlobType type;
  };
  std::vector<Entry> entries_;
  size_t sorted_ = 0;  // entries_[0, sorted_) are in id order
  std::vector<PackInfo> packs_;
};

std::string encode_index_file(const RepoKeys& keys, const std::vector<PackRecord>& packs);
// Decodes an index file into `index` (without finalize()); `what` names it in errors.
Result<> decode_index_file(const RepoKeys& keys, std::string_view data, const std::string& what,
                           Index& index);
// The same, as records (prune and verify).
Result<std::vector<PackRecord>> read_index_records(const RepoKeys& keys, std::string_view data,
                                                   const std::string& what);

}  // namespace nb::repo
