#include "repo/format/chunker.h"

#include <sodium.h>

#include <bit>
#include <cstring>

#include "repo/format/keys.h"

namespace nb::repo {

namespace {

constexpr int kAverageBits = std::countr_zero(ChunkSizes::kAverage);
// The top bits are tested: with a left-shifting gear hash they depend on the last 64 bytes,
// the low bits only on the last few.
constexpr uint64_t top_bits(int n) {
  return ~uint64_t{0} << (64 - n);
}
constexpr uint64_t kMaskHard = top_bits(kAverageBits + 3);  // before the switch point
constexpr uint64_t kMaskEasy = top_bits(kAverageBits - 3);  // after it

}  // namespace

Chunker::Chunker(const std::array<uint8_t, 32>& seed) {
  ensure_sodium();
  for (unsigned i = 0; i < 256; ++i) {
    const uint8_t in[2] = {static_cast<uint8_t>(i), 0x67};
    uint8_t out[8];
    crypto_generichash(out, sizeof out, in, sizeof in, seed.data(), seed.size());
    std::memcpy(&gear_[i], out, sizeof out);
  }
}

size_t Chunker::find_cut() {
  const size_t n = buffer_.size() - start_;
  if (scanned_ < ChunkSizes::kMin) {
    scanned_ = ChunkSizes::kMin;
    hash_ = 0;
  }
  const size_t limit = std::min(n, ChunkSizes::kMax);
  const auto* p = reinterpret_cast<const uint8_t*>(buffer_.data()) + start_;
  size_t i = scanned_;
  for (; i < std::min(limit, ChunkSizes::kSwitch); ++i) {
    hash_ = (hash_ << 1) + gear_[p[i]];
    if ((hash_ & kMaskHard) == 0) return i + 1;
  }
  for (; i < limit; ++i) {
    hash_ = (hash_ << 1) + gear_[p[i]];
    if ((hash_ & kMaskEasy) == 0) return i + 1;
  }
  scanned_ = std::max(i, scanned_);
  return n >= ChunkSizes::kMax ? ChunkSizes::kMax : 0;
}

Result<> Chunker::feed(std::string_view data, const Emit& emit) {
  // Emitted chunks are skipped over, not erased, and the buffer is compacted once per feed:
  // erasing each chunk's bytes would move the rest of the buffer once per chunk.
  if (start_ > 0) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
  buffer_.append(data);
  while (buffer_.size() - start_ > ChunkSizes::kMin) {
    const size_t cut = find_cut();
    if (cut == 0) break;
    if (auto r = emit(std::string_view(buffer_).substr(start_, cut)); !r) return r;
    start_ += cut;
    scanned_ = 0;
    hash_ = 0;
  }
  return {};
}

Result<> Chunker::finish(const Emit& emit) {
  Result<> r;
  if (buffer_.size() > start_) r = emit(std::string_view(buffer_).substr(start_));
  reset();
  return r;
}

void Chunker::reset() {
  buffer_.clear();
  start_ = 0;
  scanned_ = 0;
  hash_ = 0;
}

}  // namespace nb::repo
