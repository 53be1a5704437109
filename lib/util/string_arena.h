// StringArena: the bytes of many short strings (paths) in blocks that never move, so the views
// it hands out stay valid as it grows. A std::string per path costs an allocation and, past 15
// bytes, 32 bytes of header plus malloc's rounding; a million paths are tens of megabytes of that.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

namespace nb {

class StringArena {
 public:
  explicit StringArena(size_t block_bytes = size_t{256} << 10) : block_bytes_(block_bytes) {}
  StringArena(const StringArena&) = delete;
  StringArena& operator=(const StringArena&) = delete;
  StringArena(StringArena&& other) noexcept { *this = std::move(other); }
  StringArena& operator=(StringArena&& other) noexcept {
    block_bytes_ = other.block_bytes_;
    blocks_ = std::exchange(other.blocks_, {});
    left_ = std::exchange(other.left_, 0);
    next_ = std::exchange(other.next_, nullptr);
    return *this;
  }

  // A copy of `s` that lives as long as the arena.
  std::string_view keep(std::string_view s) {
    if (s.size() > left_) {
      const size_t bytes = std::max(block_bytes_, s.size());
      blocks_.push_back(std::make_unique_for_overwrite<char[]>(bytes));
      next_ = blocks_.back().get();
      left_ = bytes;
    }
    if (!s.empty()) std::memcpy(next_, s.data(), s.size());
    const std::string_view kept(next_, s.size());
    next_ += s.size();
    left_ -= s.size();
    return kept;
  }

 private:
  size_t block_bytes_;
  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t left_ = 0;
  char* next_ = nullptr;
};

}  // namespace nb
