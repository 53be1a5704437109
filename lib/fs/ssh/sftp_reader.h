// SftpFs's read path: a batch of files read through one or more SftpChannels with many
// requests in flight on each — dozens of files open at once, every request of a file sent as
// soon as the one it depends on is answered — so that per-file round trips overlap instead of
// adding up (DESIGN §3: reading is batched).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "fs/node_fs.h"
#include "fs/ssh/sftp_channel.h"

namespace nb::fs::ssh {

// Streams `paths` to `sink` with NodeFs::read_files' contract: one file at a time, each with
// exactly one end(). Files up to a few MiB are fetched whole into memory, many at once, and
// handed over when complete; larger ones are streamed to the sink one at a time while the small
// ones keep coming. A per-file failure (ENOENT, EACCES, no longer a regular file) goes to the
// sink; a lost connection, or one with requests unanswered for `timeout`, fails the batch and
// leaves the channels unusable.
Result<> read_pipelined(const std::vector<SftpChannel*>& channels,
                        const std::vector<std::string>& paths, ReadSink& sink,
                        std::chrono::milliseconds timeout);

}  // namespace nb::fs::ssh
