// Turns a scan and what the job knows about each file into stored directory listings and the
// snapshot's roots. Listings go through the job's blob batch, so an unchanged directory
// encodes to a listing the repository already holds and costs nothing.
#pragma once

#include <vector>

#include "backup/scan.h"
#include "repo/repository.h"
#include "repo/snapshot.h"

namespace nb::backup {

// What the job knows of one scanned entry's content.
struct FileState {
  enum class Kind { not_file, pending, known, failed };
  Kind kind = Kind::not_file;
  Hash hash;                          // known: XXH3 of the content
  fs::FileMeta meta;                  // known: the metadata recorded with that content
  std::vector<repo::BlobId> content;  // known: its chunks
};

// Entries whose content is not known (pending, failed) and special files are left out, so a
// checkpoint's snapshot only refers to content that is stored.
Result<std::vector<repo::SnapshotRoot>> build_roots(const Scan& scan,
                                                    const std::vector<FileState>& files,
                                                    repo::BlobBatch& batch);

}  // namespace nb::backup
