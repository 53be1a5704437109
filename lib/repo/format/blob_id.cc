#include "repo/format/blob_id.h"

#include "util/json_text.h"

namespace nb::repo {

std::optional<BlobId> BlobId::from_hex(std::string_view hex) {
  if (hex.size() != 2 * kSize) return std::nullopt;
  BlobId out;
  for (size_t i = 0; i < kSize; ++i) {
    const int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.bytes_[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

std::string BlobId::hex() const {
  return hex_encode({reinterpret_cast<const char*>(bytes_.data()), bytes_.size()});
}

}  // namespace nb::repo
