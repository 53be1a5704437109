// The repository on an S3 object store ("s3://bucket/prefix"), for on-premises stores (Ceph
// RGW, MinIO) and AWS alike: path-style requests through S3Client, names stored as keys
// below the prefix.
//
// How it meets Storage's contract: a PUT is atomic and durable once the server answers 200
// (RGW acknowledges after RADOS has the write); a pending file is buffered and put whole
// when small, and otherwise sent as a multipart upload whose parts go out while the writer
// still appends (several in flight), completed under "tmp/<random>" and copied server-side
// to its final name — S3 has no rename and the name is known only at commit. The lock is a
// lease object (docs/s3.md): "locks/<kind>-<random>", refreshed by a thread, judged stale by
// the server's own clock (LastModified against the Date of a listing), so clients' clocks
// never matter. list_incomplete() shows unfinished multipart uploads and "tmp/" leftovers.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "repo/storage/s3/s3_client.h"
#include "repo/storage/storage.h"
#include "util/error.h"

namespace nb::repo::s3 {

struct S3Location {
  std::string bucket;
  std::string prefix;  // "" or ending in '/' ("repo/")
};

bool is_s3_url(std::string_view repository);
// "s3://bucket" or "s3://bucket/some/prefix"; a bucket name as S3 allows it (3–63 of
// [a-z0-9.-]).
Result<S3Location> parse_s3_url(std::string_view repository);

struct S3StorageOptions {
  // A lease not renewed for this long is taken for its holder's death.
  std::chrono::seconds lease{120};
  size_t part_size = size_t{8} << 20;  // multipart parts (S3's minimum is 5 MiB)
  int parallel_parts = 4;              // parts of one pending file in flight at once
  int list_page_size = 1000;           // keys per listing request (S3's maximum)
};

// Opens the storage; with `create_bucket`, makes the bucket if it does not exist. Checks that
// the bucket answers (a wrong endpoint or key fails here, not in the middle of a backup).
Result<std::unique_ptr<Storage>> open_s3_storage(const S3Settings& settings,
                                                 const S3Location& location, bool create_bucket,
                                                 S3StorageOptions options = {});

}  // namespace nb::repo::s3
