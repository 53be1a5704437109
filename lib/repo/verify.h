// verify: the repository checks itself.
//
// Always: every index file opens (checksum or authentication) and parses; every pack an
// index names exists with the size the index says; every snapshot record opens and decodes;
// every chunk and listing a snapshot refers to is in the index, and every listing decodes.
// With read_data: packs are read whole, their header must match the index, and every blob is
// opened and re-hashed against its id. `read_data_percent` below 100 reads a rotating slice:
// the packs are split into k = round(100 / N) groups by their id, and day d reads group
// d mod k, so k consecutive daily runs read everything (as restic's --read-data-subset n/t).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "repo/repository.h"

namespace nb::repo {

struct VerifyOptions {
  bool read_data = true;
  int read_data_percent = 100;  // 1…100, with read_data
  std::optional<int64_t> day;   // the rotation's day; unset: today (UTC)
};

struct VerifyReport {
  uint64_t index_files = 0;
  uint64_t packs = 0;                 // packs the index names
  uint64_t packs_read = 0;            // read whole and checked blob by blob
  uint64_t blobs = 0;                 // blobs opened and re-hashed
  uint64_t unindexed_packs = 0;       // left by a writer that died; prune deletes them
  uint64_t snapshots = 0;             // snapshot records checked
  uint64_t references = 0;            // distinct blobs referenced
  std::vector<std::string> problems;  // each names the file, blob, snapshot or path concerned
};

// Fails only when the repository cannot be listed at all; problems are in the report.
Result<VerifyReport> verify(const Repository& repo, const VerifyOptions& options);

}  // namespace nb::repo
