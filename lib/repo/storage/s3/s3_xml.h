// The few S3 XML replies the backend reads, parsed with expat: a streaming parser that builds
// no tree, reads no external entities and (2.4+) refuses entity-expansion bombs, so a hostile
// server's reply costs bounded memory and ends in an error, never a crash.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace nb::repo::s3 {

struct ListedObject {
  std::string key;
  uint64_t size = 0;
  int64_t last_modified = 0;  // seconds since the epoch, by the server's clock
};

// ListObjectsV2.
struct ListPage {
  std::vector<ListedObject> objects;
  bool truncated = false;
  std::string next_token;  // NextContinuationToken
};

struct Upload {
  std::string key, upload_id;
};

// ListMultipartUploads.
struct UploadsPage {
  std::vector<Upload> uploads;
  bool truncated = false;
  std::string next_key_marker, next_upload_id_marker;
};

struct ErrorReply {
  std::string code, message;
};

Result<ListPage> parse_list_page(std::string_view xml);
Result<UploadsPage> parse_uploads_page(std::string_view xml);
// InitiateMultipartUpload's UploadId.
Result<std::string> parse_upload_id(std::string_view xml);
// An <Error> document (CompleteMultipartUpload may send one with status 200); an empty code
// when the reply is not one.
Result<ErrorReply> parse_error_reply(std::string_view xml);
// "2026-12-03T11:44:15.781Z" → seconds since the epoch.
Result<int64_t> parse_iso_time(std::string_view text);

}  // namespace nb::repo::s3
