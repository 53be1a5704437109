// A blob's identity in repository format 2: BLAKE2b-256 of its plaintext, keyed with the
// repository's id key when the repository is encrypted (so an id says nothing about content
// to someone without the key). Unlike XXH3, no node can make two contents with one id, so
// content shared across nodes cannot be swapped by one of them.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace nb::repo {

class BlobId {
 public:
  static constexpr size_t kSize = 32;
  BlobId() = default;
  static BlobId from_raw(const uint8_t* bytes) {
    BlobId id;
    std::memcpy(id.bytes_.data(), bytes, kSize);
    return id;
  }
  static std::optional<BlobId> from_hex(std::string_view hex);

  std::string hex() const;
  const std::array<uint8_t, kSize>& bytes() const { return bytes_; }
  std::array<uint8_t, kSize>& mutable_bytes() { return bytes_; }
  bool operator==(const BlobId&) const = default;
  auto operator<=>(const BlobId&) const = default;

 private:
  std::array<uint8_t, kSize> bytes_{};
};

struct BlobIdHasher {
  size_t operator()(const BlobId& id) const {
    uint64_t v;
    std::memcpy(&v, id.bytes().data(), sizeof v);
    return static_cast<size_t>(v);
  }
};

enum class BlobType : uint8_t { data = 0, tree = 1 };

}  // namespace nb::repo
