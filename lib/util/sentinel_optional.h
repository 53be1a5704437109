// An optional integer in the integer's own bytes: one value that no real one takes (an inode of
// 2^64-1, a ctime of INT64_MIN) means absent. std::optional<int64_t> takes 16 bytes; the hash
// store holds two per entry, a million entries per large node.
//
// Its interface is the part of std::optional the project uses. Assigning the sentinel itself
// makes it absent, which for the store means "no record": a cache miss, never a wrong match.
#pragma once

#include <optional>

namespace nb {

template <typename T, T kNone>
class SentinelOptional {
 public:
  constexpr SentinelOptional() = default;
  constexpr SentinelOptional(std::nullopt_t) {}
  constexpr SentinelOptional(T value) : value_(value) {}  // NOLINT: as std::optional converts

  constexpr bool has_value() const { return value_ != kNone; }
  constexpr explicit operator bool() const { return has_value(); }
  constexpr const T& operator*() const { return value_; }
  constexpr T value_or(T other) const { return has_value() ? value_ : other; }
  constexpr void reset() { value_ = kNone; }

  constexpr bool operator==(const SentinelOptional&) const = default;
  // As std::optional: an absent value equals no value.
  constexpr bool operator==(T other) const { return has_value() && value_ == other; }

 private:
  T value_ = kNone;
};

}  // namespace nb
