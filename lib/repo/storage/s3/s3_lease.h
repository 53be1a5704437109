// The S3 storage's lock: a lease object per holder, since an object store has no flock.
//
// To take it, a holder writes "locks/<exclusive|shared>-<random>", then lists "locks/": if a
// live lease conflicts (any other lease for an exclusive one, an exclusive one for a shared
// one) it deletes its own and fails or retries after a random pause. Because each side writes
// before it reads, and the store's listings are strongly consistent after a write (RGW's
// bucket index, AWS since 2020), two conflicting holders can never both see the way clear.
// A thread re-writes the lease every quarter of its lifetime; a lease whose LastModified is
// older than its lifetime by the Date of the listing that shows it — both the server's clock
// — is dead (its holder crashed) and is deleted by whoever sees it. Clients' clocks play no
// part, so a skewed client neither steals a live lease nor keeps a dead one.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "repo/storage/s3/s3_client.h"
#include "repo/storage/storage.h"

namespace nb::repo::s3 {

// `locks_prefix` is the full key prefix of the lease objects ("repo/locks/").
Result<std::unique_ptr<StorageLock>> acquire_lease(const S3Client& client,
                                                   const std::string& locks_prefix, bool exclusive,
                                                   bool wait, std::chrono::seconds lifetime);

}  // namespace nb::repo::s3
