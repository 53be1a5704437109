#include "repo/format/index.h"

#include <algorithm>

#include "repo/format/corrupt.h"
#include "repo/format/wire.h"

namespace nb::repo {

namespace {
constexpr std::string_view kMagic = "nbindex2";
constexpr size_t kBlobSize = 1 + BlobId::kSize + 4 + 4 + 4;
}  // namespace

void Index::add(const PackRecord& pack) {
  const auto number = static_cast<uint32_t>(packs_.size());
  packs_.push_back({pack.pack_id, pack.size});
  for (const auto& b : pack.blobs) entries_.push_back({b.id, number, b.offset, b.length, b.type});
}

void Index::finalize() {
  if (sorted_ == entries_.size()) return;
  const auto by_id = [](const Entry& a, const Entry& b) { return a.id < b.id; };
  std::sort(entries_.begin() + static_cast<ptrdiff_t>(sorted_), entries_.end(), by_id);
  std::inplace_merge(entries_.begin(), entries_.begin() + static_cast<ptrdiff_t>(sorted_),
                     entries_.end(), by_id);
  sorted_ = entries_.size();
}

void Index::clear() {
  entries_.clear();
  entries_.shrink_to_fit();
  packs_.clear();
  sorted_ = 0;
}

std::optional<BlobLocation> Index::find(const BlobId& id) const {
  const auto end = entries_.begin() + static_cast<ptrdiff_t>(sorted_);
  const auto it = std::lower_bound(entries_.begin(), end, id,
                                   [](const Entry& e, const BlobId& key) { return e.id < key; });
  if (it == end || it->id != id) return std::nullopt;
  return BlobLocation{packs_[it->pack].id, it->offset, it->length, it->type};
}

size_t Index::memory_bytes() const {
  return entries_.capacity() * sizeof(Entry) + packs_.capacity() * sizeof(PackInfo);
}

std::string encode_index_file(const RepoKeys& keys, const std::vector<PackRecord>& packs) {
  std::string body(kMagic);
  put_u32(body, static_cast<uint32_t>(packs.size()));
  for (const auto& p : packs) {
    put_bytes(body, p.pack_id);
    put_u64(body, p.size);
    put_u32(body, static_cast<uint32_t>(p.blobs.size()));
    for (const auto& b : p.blobs) {
      body.push_back(static_cast<char>(b.type));
      put_bytes(body, b.id);
      put_u32(body, b.offset);
      put_u32(body, b.length);
      put_u32(body, b.raw_length);
    }
  }
  return seal(keys, body);
}

Result<std::vector<PackRecord>> read_index_records(const RepoKeys& keys, std::string_view data,
                                                   const std::string& what) {
  auto body = unseal(keys, data, what);
  if (!body) return std::unexpected(body.error());
  if (!std::string_view(*body).starts_with(kMagic)) {
    return corrupt("read index", what, EIO, "not an index file");
  }
  Reader r(std::string_view(*body).substr(kMagic.size()));
  // Counts come from the file: bounded by what bytes it has, so a damaged count cannot make
  // us allocate more than the file could describe.
  const uint32_t count = r.u32();
  constexpr size_t kPackRecordSize = BlobId::kSize + 8 + 4;
  if (count > body->size() / kPackRecordSize) {
    return corrupt("read index", what, EIO, "malformed index file");
  }
  std::vector<PackRecord> packs(count);
  for (auto& p : packs) {
    p.pack_id = r.blob_id();
    p.size = r.u64();
    const uint32_t n = r.u32();
    if (!r.ok() || n > body->size() / kBlobSize) break;
    p.blobs.resize(n);
    for (auto& b : p.blobs) {
      b.type = static_cast<BlobType>(r.u8());
      b.id = r.blob_id();
      b.offset = r.u32();
      b.length = r.u32();
      b.raw_length = r.u32();
    }
  }
  if (!r.ok() || !r.done()) return corrupt("read index", what, EIO, "malformed index file");
  return packs;
}

Result<> decode_index_file(const RepoKeys& keys, std::string_view data, const std::string& what,
                           Index& index) {
  auto records = read_index_records(keys, data, what);
  if (!records) return std::unexpected(records.error());
  for (const auto& p : *records) index.add(p);
  return {};
}

}  // namespace nb::repo
