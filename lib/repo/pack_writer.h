// Writes one pack at a time straight into storage: blobs go to a pending file as they come
// (through a small buffer, so many tiny listings cost few writes), the pack's name is hashed as
// it grows, and finish() appends the header and stores the pack under that name. A writer
// holds at most its buffer and the blobs' header entries in memory, never the pack.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "repo/format/index.h"
#include "repo/format/keys.h"
#include "repo/format/pack.h"
#include "repo/storage/storage.h"
#include "util/error.h"

namespace nb::repo {

class PackWriter {
 public:
  explicit PackWriter(Storage& storage) : storage_(storage) {}
  PackWriter(const PackWriter&) = delete;
  PackWriter& operator=(const PackWriter&) = delete;

  Result<> add(BlobType type, const BlobId& id, std::string_view sealed, uint32_t raw_length);
  // Bytes of blobs added to the pack being written.
  uint64_t size() const { return size_; }
  bool empty() const { return blobs_.empty(); }

  // Stores the pack (durably, as Storage::put does) and returns its record; the writer is
  // empty afterwards, ready for the next pack. On failure the pack is dropped whole.
  Result<PackRecord> finish(const RepoKeys& keys);

 private:
  Result<> write(std::string_view data);
  Result<> drain();
  void reset();

  Storage& storage_;
  std::unique_ptr<PendingFile> file_;
  std::optional<ContentNamer> namer_;
  std::string buffer_;
  std::vector<PackBlob> blobs_;
  uint64_t size_ = 0;
};

}  // namespace nb::repo
