#include "util/hash.h"

#include <array>
#include <new>

#include "util/json_text.h"

namespace nb {

Hash Hash::from_xxh(XXH128_hash_t h) {
  XXH128_canonical_t canon;
  XXH128_canonicalFromHash(&canon, h);
  Hash out;
  for (size_t i = 0; i < 16; ++i) out.bytes_[i] = canon.digest[i];
  return out;
}

Hash Hash::of(const void* data, size_t size) {
  return from_xxh(XXH3_128bits(data, size));
}

std::optional<Hash> Hash::from_hex(std::string_view hex) {
  // Called for every object name when the repository's index is read: no allocation.
  if (hex.size() != 32) return std::nullopt;
  // A table, not hex_digit(): the hash store's loader parses a million of these.
  static constexpr auto kValue = [] {
    std::array<int8_t, 256> t{};
    t.fill(-1);
    for (int c = 0; c < 10; ++c) t['0' + c] = static_cast<int8_t>(c);
    for (int c = 0; c < 6; ++c) t['a' + c] = static_cast<int8_t>(10 + c);
    return t;
  }();
  Hash out;
  int bad = 0;
  for (size_t i = 0; i < 16; ++i) {
    const int hi = kValue[static_cast<uint8_t>(hex[2 * i])];
    const int lo = kValue[static_cast<uint8_t>(hex[2 * i + 1])];
    bad |= hi | lo;  // negative if any digit was not one
    out.bytes_[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  if (bad < 0) return std::nullopt;
  return out;
}

std::string Hash::hex() const {
  return hex_encode({reinterpret_cast<const char*>(bytes_.data()), bytes_.size()});
}

Hasher::Hasher() : state_(XXH3_createState()) {
  if (state_ == nullptr) throw std::bad_alloc();
  reset();
}

Hasher::~Hasher() {
  XXH3_freeState(state_);
}

void Hasher::reset() {
  XXH3_128bits_reset(state_);
}

void Hasher::update(const void* data, size_t size) {
  XXH3_128bits_update(state_, data, size);
}

Hash Hasher::digest() const {
  return Hash::from_xxh(XXH3_128bits_digest(state_));
}

}  // namespace nb
