// Content identity: XXH3-128, written as 32 lowercase hex digits (the form the hash store and
// the repository's object names use).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <xxhash.h>

namespace nb {

class Hash {
 public:
  Hash() = default;
  static Hash of(const void* data, size_t size);
  static std::optional<Hash> from_hex(std::string_view hex);

  std::string hex() const;
  bool operator==(const Hash&) const = default;
  auto operator<=>(const Hash&) const = default;
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }

 private:
  friend class Hasher;
  static Hash from_xxh(XXH128_hash_t h);
  std::array<uint8_t, 16> bytes_{};
};

// Incremental hashing so a file is hashed while it streams in, never read twice.
class Hasher {
 public:
  Hasher();
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  void reset();
  void update(const void* data, size_t size);
  Hash digest() const;

 private:
  XXH3_state_t* state_;
};

struct HashHasher {
  size_t operator()(const Hash& h) const {
    uint64_t v;
    __builtin_memcpy(&v, h.bytes().data(), sizeof v);
    return static_cast<size_t>(v);
  }
};

}  // namespace nb
