#include "repo/format/pack.h"

#include <cstring>

#include "repo/format/corrupt.h"
#include "repo/format/wire.h"

namespace nb::repo {

namespace {
constexpr std::string_view kMagic = "nbpack02";
constexpr size_t kEntrySize = kPackHeaderEntrySize;
// The target, the largest chunk a blob can be (it is added before the target is checked), and
// a header of up to ~14,000 blobs.
constexpr size_t kPackReserve = kPackTargetSize + (1 << 20) + (1 << 20) + 4096;
}  // namespace

void PackBuilder::add(BlobType type, const BlobId& id, std::string_view sealed,
                      uint32_t raw_length) {
  // Room for a whole pack up front. Left to grow by doubling, the buffer went from 16 to
  // 32 MiB on the blob that crossed the target, copying 16 MiB while both were live: ~48 MiB of
  // a backup's peak RSS for one pack. Untouched reserved pages are not resident, so a small
  // pack (a run's few listings) costs only what it holds.
  if (bytes_.capacity() < kPackReserve && bytes_.size() + sealed.size() <= kPackReserve) {
    bytes_.reserve(kPackReserve);
  }
  blobs_.push_back({type, id, static_cast<uint32_t>(bytes_.size()),
                    static_cast<uint32_t>(sealed.size()), raw_length});
  bytes_.append(sealed);
}

std::string PackBuilder::finish(const RepoKeys& keys) {
  std::string header;
  header.reserve(blobs_.size() * kEntrySize);
  for (const auto& b : blobs_) {
    header.push_back(static_cast<char>(b.type));
    put_bytes(header, b.id);
    put_u32(header, b.length);
    put_u32(header, b.raw_length);
  }
  const std::string sealed = seal(keys, header);
  std::string out = std::move(bytes_);
  // The header goes on in place when the reserve has room for it (it has, unless the pack holds
  // many thousands of tiny blobs); otherwise the buffer grows once here.
  out.reserve(out.size() + sealed.size() + 4 + kMagic.size());
  out.append(sealed);
  put_u32(out, static_cast<uint32_t>(sealed.size()));
  out.append(kMagic);
  bytes_.clear();
  blobs_.clear();
  return out;
}

std::string pack_name(const BlobId& pack_id) {
  const std::string hex = pack_id.hex();
  return "data/" + hex.substr(0, 2) + "/" + hex;
}

Result<std::vector<PackBlob>> read_pack_header(const RepoKeys& keys, std::string_view pack,
                                               const std::string& what) {
  if (pack.size() < 4 + kMagic.size() || pack.substr(pack.size() - kMagic.size()) != kMagic) {
    return corrupt("read pack", what, EIO, "no pack trailer");
  }
  Reader tail(pack.substr(pack.size() - kMagic.size() - 4, 4));
  const uint32_t header_length = tail.u32();
  if (header_length > pack.size() - kMagic.size() - 4) {
    return corrupt("read pack", what, EIO, "header length out of range");
  }
  const size_t header_at = pack.size() - kMagic.size() - 4 - header_length;
  auto header = unseal(keys, pack.substr(header_at, header_length), what + " (header)");
  if (!header) return std::unexpected(header.error());
  if (header->size() % kEntrySize != 0) return corrupt("read pack", what, EIO, "malformed header");
  std::vector<PackBlob> blobs;
  Reader r(*header);
  uint64_t offset = 0;
  while (!r.done()) {
    PackBlob b;
    b.type = static_cast<BlobType>(r.u8());
    b.id = r.blob_id();
    b.length = r.u32();
    b.raw_length = r.u32();
    b.offset = static_cast<uint32_t>(offset);
    offset += b.length;
    blobs.push_back(b);
  }
  if (offset != header_at)
    return corrupt("read pack", what, EIO, "header does not match the blobs");
  return blobs;
}

}  // namespace nb::repo
