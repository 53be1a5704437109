#include "config/s3_parse.h"

#include "config/config_values.h"

namespace nb::config::detail {

Result<std::string> read_repository(const Json& value, const FieldPath& at) {
  auto text = read_string(value, at);
  if (!text) return text;
  if (!text->starts_with("s3://")) return read_absolute_path(value, at);
  const std::string rest = text->substr(5);
  const std::string bucket = rest.substr(0, rest.find('/'));
  const bool valid =
      bucket.size() >= 3 && bucket.size() <= 63 &&
      bucket.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") == std::string::npos;
  if (!valid) return at.fail("the bucket name must be 3-63 characters of a-z, 0-9, '.' and '-'");
  if (rest.find("//") != std::string::npos) return at.fail("empty path component");
  return text;
}

Result<S3Config> read_s3(const Json& value, const FieldPath& at) {
  const auto object = open_object(value, at, {"endpoint", "region", "credentials_file", "lease"});
  if (!object) return std::unexpected(object.error());
  S3Config s3;
  const auto read = run_steps({
      [&] { return required_field(*object, "endpoint", s3.endpoint, read_string); },
      [&] { return optional_field(*object, "region", s3.region, read_token); },
      [&] {
        return required_field(*object, "credentials_file", s3.credentials_file, read_absolute_path);
      },
      [&] { return optional_field(*object, "lease", s3.lease, read_duration); },
  });
  if (!read) return std::unexpected(read.error());
  if (!s3.endpoint.starts_with("http://") && !s3.endpoint.starts_with("https://")) {
    return at.key("endpoint").fail("must start with http:// or https://");
  }
  return s3;
}

}  // namespace nb::config::detail
