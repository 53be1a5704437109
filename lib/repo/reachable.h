// The mark phase of prune: every blob a set of snapshots can reach.
#pragma once

#include <unordered_set>
#include <vector>

#include "repo/repository.h"

namespace nb::repo {

using BlobSet = std::unordered_set<BlobId, BlobIdHasher>;

// Chunks, listings and chunk-list pieces referenced by `snapshots`, each listing and piece read
// once however many snapshots share it. Fails when one cannot be read or decoded: what lies below it is
// unknown, so nothing may be deleted on the strength of this walk. A missing chunk is not an
// error here (verify reports it); it is simply not there to be deleted.
Result<BlobSet> reachable_blobs(const Repository& repo,
                                const std::vector<SnapshotRecord>& snapshots);

}  // namespace nb::repo
