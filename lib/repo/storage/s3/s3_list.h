// Listing every key under a prefix, page by page (ListObjectsV2), and every unfinished
// multipart upload under it. A server that keeps saying "truncated" with the same token is
// cut off rather than followed forever.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "repo/storage/s3/s3_client.h"
#include "repo/storage/s3/s3_xml.h"

namespace nb::repo::s3 {

struct Listing {
  std::vector<ListedObject> objects;  // full keys
  int64_t server_time = 0;            // the Date of the last page, by the server's clock
};

Result<Listing> list_objects(const S3Client& client, const std::string& prefix,
                             int page_size = 1000);
Result<std::vector<Upload>> list_uploads(const S3Client& client, const std::string& prefix);

}  // namespace nb::repo::s3
