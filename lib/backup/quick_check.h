// The quick check (DESIGN §3): whether a file can be trusted unchanged without reading it, and
// the store entry to write back for a file that was read.
#pragma once

#include "fs/node_fs.h"
#include "store/hash_store.h"

namespace nb::backup {

// Extra slack on top of the filesystem's timestamp resolution for the racy rule.
inline constexpr int64_t kRacyMarginNs = 1'000'000'000;

// True when `prior` is a trusted, non-racy entry whose every field the filesystem provides
// equals `meta`. (The caller also checks that the repository holds the content.)
bool quick_check_passes(const store::Entry* prior, const fs::FileMeta& meta,
                        const fs::Capabilities& caps);

// Why a file must be read: what `diff` reports, so an operator can see why a file is read
// again run after run.
enum class ReadReason { none, new_file, untrusted, racy, metadata, missing_object };
const char* to_string(ReadReason reason);

// `none` when the file can be trusted unchanged (`has_object`: the repository holds the
// content the entry names).
ReadReason read_reason(const store::Entry* prior, const fs::FileMeta& meta,
                       const fs::Capabilities& caps, bool has_object);

// The entry for a file read at `read_time_ns`, flagged racy if its mtime is too close to
// that moment for a later change to be visible in its metadata.
store::Entry entry_for_read(const Hash& hash, const fs::FileMeta& meta,
                            const fs::Capabilities& caps, int64_t read_time_ns);

}  // namespace nb::backup
