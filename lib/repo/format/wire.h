// Little-endian fixed-width fields for the binary parts of the format (pack headers, index
// files). Reader never reads past its end: a short input yields zeros and `ok()` false.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "repo/format/blob_id.h"

namespace nb::repo {

inline void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
inline void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
inline void put_bytes(std::string& out, const BlobId& id) {
  out.append(reinterpret_cast<const char*>(id.bytes().data()), BlobId::kSize);
}

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool done() const { return pos_ >= data_.size(); }
  bool ok() const { return ok_; }
  uint8_t u8() { return static_cast<uint8_t>(take(1)[0]); }
  uint32_t u32() { return static_cast<uint32_t>(le(4)); }
  uint64_t u64() { return le(8); }
  BlobId blob_id() { return BlobId::from_raw(reinterpret_cast<const uint8_t*>(take(32))); }

 private:
  uint64_t le(int n) {
    const char* p = take(static_cast<size_t>(n));
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= uint64_t{static_cast<uint8_t>(p[i])} << (8 * i);
    return v;
  }
  const char* take(size_t n) {
    if (pos_ + n > data_.size()) {
      ok_ = false;
      pos_ = data_.size();
      return kZeros;
    }
    const char* p = data_.data() + pos_;
    pos_ += n;
    return p;
  }
  static constexpr char kZeros[32] = {};
  std::string_view data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace nb::repo
