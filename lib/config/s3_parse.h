// The repository location (a directory or an s3:// URL) and the "s3" object.
#pragma once

#include <string>

#include "config/config.h"
#include "config/json_fields.h"

namespace nb::config::detail {

// An absolute path, or "s3://bucket[/prefix]" with a bucket name S3 accepts.
Result<std::string> read_repository(const Json& value, const FieldPath& at);
Result<S3Config> read_s3(const Json& value, const FieldPath& at);

}  // namespace nb::config::detail
