// A regular file's content read back out of a snapshot, verified on the way: every chunk
// against its id as it is read (Repository::read_blob), and the whole against the size and
// XXH3 its entry records. What `nodebackupctl cat` writes; restore checks the same way.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "repo/repository.h"

namespace nb::repo {

// Hands `entry`'s content to `out` chunk by chunk, in order. A chunk that is missing or does
// not match its id fails before any of its bytes reach `out`; a file whose chunks are each
// sound but do not add up to the recorded size and hash fails after the last one (so `out`
// may have received content by then: a caller that must not show a partial file keeps it
// back until this returns). `shown` names the file in errors. Returns the bytes handed out.
// Whether a chunk is all zeros: a hole of a sparse file, which restores leave unwritten.
bool all_zero(std::string_view data);

Result<uint64_t> read_file_content(const Repository& repo, const TreeEntry& entry,
                                   const std::string& shown,
                                   const std::function<Result<>(std::string_view)>& out);

}  // namespace nb::repo
