// The S3 PendingFile: a pack written piece by piece whose name is known only at commit.
// Small files are buffered and put whole under their name. A file that outgrows one part
// becomes a multipart upload under a temporary key, its parts sent by background threads
// while the writer keeps appending; commit completes it and copies it server-side to its name.
#pragma once

#include <memory>
#include <string>

#include "repo/storage/s3/s3_client.h"
#include "repo/storage/storage.h"

namespace nb::repo::s3 {

// `key_prefix` is the storage's prefix ("repo/"); `temp_key` the full key of the temporary
// object ("repo/tmp/<random>").
std::unique_ptr<PendingFile> make_s3_pending(const S3Client& client, std::string key_prefix,
                                             std::string temp_key, size_t part_size,
                                             int parallel_parts);

// Server-side copy of `from` to `to` (full keys), then deletion of `from`.
Result<> s3_move(const S3Client& client, const std::string& from, const std::string& to);

}  // namespace nb::repo::s3
