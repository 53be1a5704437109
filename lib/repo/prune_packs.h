// The sweep phase of prune, pack by pack (prune.h says what it promises): which packs to
// delete, rewrite or keep, the rewrite, the replacing index, and the deletions in the order
// that keeps every index file pointing at packs that exist.
#pragma once

#include "repo/prune.h"
#include "repo/reachable.h"

namespace nb::repo {

// Drops from the index the blobs `reached` does not hold, deleting or rewriting the packs
// they are in; a dry run only counts.
// `lock` is checked before the new index replaces the old ones: a lease that may have lapsed
// (S3) could have let a backup in, which may refer to the blobs about to go.
Result<> sweep_blobs(Repository& repo, const BlobSet& reached, bool dry_run, const RepoLock& lock,
                     PruneReport& report);

}  // namespace nb::repo
