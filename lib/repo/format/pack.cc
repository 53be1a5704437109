#include "repo/format/pack.h"

#include <cstring>

#include "repo/format/corrupt.h"
#include "repo/format/wire.h"

namespace nb::repo {

namespace {
constexpr std::string_view kMagic = "nbpack02";
constexpr size_t kEntrySize = kPackHeaderEntrySize;
}  // namespace

std::string encode_pack_tail(const RepoKeys& keys, const std::vector<PackBlob>& blobs) {
  std::string header;
  header.reserve(blobs.size() * kEntrySize);
  for (const auto& b : blobs) {
    header.push_back(static_cast<char>(b.type));
    put_bytes(header, b.id);
    put_u32(header, b.length);
    put_u32(header, b.raw_length);
  }
  std::string out = seal(keys, header);
  put_u32(out, static_cast<uint32_t>(out.size()));
  out.append(kMagic);
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
