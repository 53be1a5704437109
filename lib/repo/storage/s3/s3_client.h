// One S3 request at a time per call, over libcurl: path-style URLs (endpoint/bucket/key), AWS
// signature V4 computed by libcurl (CURLOPT_AWS_SIGV4), the payload's SHA-256 sent and signed
// so the server refuses a body damaged on the way, and retries with exponential backoff on
// what may pass (5xx, 429, timeouts, refused or dropped connections). Every transfer has a
// connect timeout and a low-speed limit, so a server that stops answering fails the request
// instead of stalling the job. Thread-safe: concurrent calls use separate curl handles, kept
// in a small pool so connections are reused.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace nb::repo::s3 {

struct S3Settings {
  std::string endpoint;  // "http://127.0.0.1:7480" or "https://s3.example.net"
  std::string region = "us-east-1";
  std::string access_key, secret_key;
  std::chrono::seconds connect_timeout{10};
  // A transfer slower than 1 KiB/s for this long is given up (and retried).
  std::chrono::seconds stall_timeout{30};
  int attempts = 5;  // tries per request, the first included
  std::chrono::milliseconds first_backoff{200};
};

struct S3Request {
  std::string method = "GET";
  std::string key;  // below the bucket, unencoded ("data/ab/ab12…"); empty: the bucket itself
  // Query parameters, already in their final form; the client sorts and encodes them.
  std::map<std::string, std::string> query;
  std::string_view body;
  std::vector<std::string> headers;  // "Range: bytes=0-99"
};

// A request without designated initializers, which GCC 12 reports as missing fields.
inline S3Request s3_request(std::string method, std::string key = {},
                            std::map<std::string, std::string> query = {},
                            std::string_view body = {}, std::vector<std::string> headers = {}) {
  S3Request r;
  r.method = std::move(method);
  r.key = std::move(key);
  r.query = std::move(query);
  r.body = body;
  r.headers = std::move(headers);
  return r;
}

struct S3Response {
  long status = 0;
  std::string body;
  std::string date;  // the server's Date header (its clock), for lease expiry
  std::string etag;  // the ETag header (a multipart upload names its parts by them)
};

class S3Client {
 public:
  S3Client(S3Settings settings, std::string bucket);
  ~S3Client();
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  // Sends the request, retrying transient failures. Any HTTP status the server gives for good
  // (2xx, 3xx, 4xx but 429) is returned, not turned into an error: the caller knows which
  // ones it expects. Errors name `what` (the object's location) and are transient when the
  // last try failed for a reason that may pass.
  Result<S3Response> send(const S3Request& request, const std::string& what) const;

  const std::string& bucket() const { return bucket_; }
  const S3Settings& settings() const { return settings_; }
  // "http://127.0.0.1:7480/bucket/key" (what messages show).
  std::string url(const std::string& key) const;

 private:
  struct Handle;
  std::unique_ptr<Handle> take_handle() const;
  void give_back(std::unique_ptr<Handle> handle) const;
  Result<S3Response> send_once(Handle& handle, const S3Request& request,
                               const std::string& what) const;

  S3Settings settings_;
  std::string bucket_;
  std::string credentials_;  // "access:secret" for CURLOPT_USERPWD
  std::string sigv4_;        // "aws:amz:<region>:s3"
  mutable std::mutex pool_mutex_;
  mutable std::vector<std::unique_ptr<Handle>> pool_;
};

// The error an S3 reply carries: "<Code>NoSuchKey</Code>" and its message, for messages.
std::string describe_reply(const S3Response& response);
// The error for a reply with an unexpected status: ENOENT for 404, EACCES for 403 (a wrong
// key or a refused bucket), EIO otherwise; its detail is describe_reply().
Error reply_error(const std::string& op, const std::string& what, const S3Response& response);
// Lower-case hex of `bytes`, and of `count` random bytes (names of temporary objects, leases).
std::string lower_hex(std::string_view bytes);
std::string random_hex(size_t count);
// Percent-encodes as SigV4 wants: unreserved characters stay, '/' too when `keep_slash`.
std::string uri_encode(std::string_view text, bool keep_slash);

}  // namespace nb::repo::s3
