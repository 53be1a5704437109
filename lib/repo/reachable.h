// The mark phase of prune: every object a set of snapshots can reach.
#pragma once

#include <unordered_set>
#include <vector>

#include "repo/repository.h"

namespace nb::repo {

using HashSet = std::unordered_set<Hash, HashHasher>;

// File contents and listings referenced by `snapshots`, each listing read once however many
// snapshots share it. Fails when a listing cannot be read or decoded: what lies below it is
// unknown, so nothing may be deleted on the strength of this walk. A missing file content is
// not an error here (verify reports it); it is simply not on disk to be deleted.
Result<HashSet> reachable_objects(const Repository& repo,
                                  const std::vector<SnapshotRecord>& snapshots);

}  // namespace nb::repo
