// The read phase of a job: a ReadSink that hashes each file (XXH3, for the hash store) while it
// streams in, cuts it into content-defined chunks and adds them to the repository batch, so
// every byte is read exactly once.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "fs/node_fs.h"
#include "repo/format/chunker.h"
#include "repo/repository.h"
#include "util/hash.h"

namespace nb::backup {

struct ReadOutcome {
  bool ok = false;      // read to the end; `hash`, `content` and `done` are valid
  bool stable = false;  // metadata identical before and after the read
  Hash hash;
  std::vector<repo::BlobId> content;  // the chunks, in order
  uint64_t bytes = 0;
  fs::ReadDone done;
  std::optional<Error> error;  // when !ok
};

class ContentReader final : public fs::ReadSink {
 public:
  ContentReader(repo::BlobBatch& batch, const repo::RepoKeys& keys, const fs::Capabilities& caps)
      : batch_(batch), chunker_(keys.chunker_seed), caps_(caps) {}

  void begin(const std::string& path, const fs::FileMeta& opened) override;
  Result<> data(std::string_view chunk) override;
  void end(const std::string& path, const Result<fs::ReadDone>& outcome) override;

  // Outcomes of the files that ended since the last take, by path.
  std::unordered_map<std::string, ReadOutcome> take_outcomes() { return std::move(outcomes_); }
  uint64_t bytes_read() const { return bytes_read_; }
  uint64_t bytes_stored() const { return bytes_stored_; }
  // A failure to store content (disk full): it fails the job.
  const std::optional<Error>& storage_error() const { return storage_error_; }

 private:
  bool unchanged_during_read(const fs::FileMeta& after) const;
  Result<> add_chunk(std::string_view chunk);

  repo::BlobBatch& batch_;
  repo::Chunker chunker_;
  fs::Capabilities caps_;
  Hasher hasher_;
  fs::FileMeta opened_;
  std::vector<repo::BlobId> content_;
  uint64_t current_bytes_ = 0;
  uint64_t bytes_read_ = 0;
  uint64_t bytes_stored_ = 0;
  std::optional<Error> storage_error_;
  std::unordered_map<std::string, ReadOutcome> outcomes_;
};

}  // namespace nb::backup
