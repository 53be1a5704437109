// Content-defined chunking, FastCDC-style (Xia et al., 2016): a gear hash rolls over the
// content and a chunk ends where its top bits are zero, so an insert, append or overwrite
// moves only the boundaries near it and the other chunks keep their ids.
//
// Sizes: min 32 KiB, average 128 KiB, max 1 MiB, with FastCDC's normalised chunking at level
// 3 (a mask 8× harder than the average's before the switch point, 8× easier after it) so sizes
// cluster near the average. What bounds an overwrite is not the mean chunk but the chunk a
// random offset falls into, whose expected size is E[L²]/E[L]: level 2 switching at 128 KiB
// gave a mean of 146 KiB and 160 KiB for that; level 3 switching at 112 KiB gives 125 KiB and
// 129 KiB (256 MiB of random data).
// Why these and not restic's 512 KiB / 1 MiB / 8 MiB: the goals are "4 KiB overwritten in
// the middle of a large file stores ≤ one average chunk + 4 KiB" and "a file gaining 1 MiB
// stores ≤ 1.2 MiB" — an append re-stores the file's old last chunk (cut by the end of the
// file, not by content), about one average chunk, so the average must stay well under
// 200 KiB. The price is index size: ~48 B of RAM per blob, i.e. ~384 MiB per TiB of unique
// data at this average, which a backup server of a small fleet affords.
//
// The gear table is derived from the repository's chunker seed, so in an encrypted
// repository chunk boundaries do not reveal content to someone comparing sizes.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "util/error.h"

namespace nb::repo {

struct ChunkSizes {
  static constexpr size_t kMin = 32 * 1024;
  static constexpr size_t kAverage = 128 * 1024;
  static constexpr size_t kMax = 1024 * 1024;
  // Where the hard mask gives way to the easy one.
  static constexpr size_t kSwitch = 112 * 1024;
};

class Chunker {
 public:
  using Emit = std::function<Result<>(std::string_view chunk)>;
  explicit Chunker(const std::array<uint8_t, 32>& seed);

  // Adds content; calls `emit` for every chunk it completes. Boundaries do not depend on how
  // the content is split into feed() calls.
  Result<> feed(std::string_view data, const Emit& emit);
  // Emits the rest as the last chunk (nothing for an empty file) and starts over.
  Result<> finish(const Emit& emit);
  // Drops buffered content (a file whose read failed).
  void reset();

 private:
  size_t find_cut();

  std::array<uint64_t, 256> gear_{};
  std::string buffer_;
  size_t start_ = 0;    // where the current chunk begins in buffer_
  size_t scanned_ = 0;  // positions after start_ already rolled into hash_
  uint64_t hash_ = 0;
};

}  // namespace nb::repo
