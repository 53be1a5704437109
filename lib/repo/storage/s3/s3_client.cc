#include "repo/storage/s3/s3_client.h"

#include <curl/curl.h>
#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <optional>
#include <random>
#include <thread>

#include "repo/storage/s3/s3_xml.h"

namespace nb::repo::s3 {

namespace {

// A reply larger than this is refused: no object the repository stores comes near it, so a
// server that sends more is broken or hostile, and must not make the daemon allocate it.
constexpr size_t kMaxReply = size_t{1} << 30;

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (sodium_init() < 0) std::abort();
  });
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return lower_hex(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

struct Transfer {
  std::string_view upload;
  size_t sent = 0;
  S3Response response;
  bool too_big = false;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (t.response.body.size() + n > kMaxReply) {
    t.too_big = true;
    return 0;  // curl fails the transfer with CURLE_WRITE_ERROR
  }
  t.response.body.append(data, n);
  return n;
}

// The value of header `name` (lower case, with its colon) if `line` is that header.
std::optional<std::string_view> header_value(std::string_view line, std::string_view name) {
  if (line.size() < name.size()) return std::nullopt;
  for (size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return std::nullopt;
  }
  std::string_view value = line.substr(name.size());
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.remove_suffix(1);
  return value;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  const std::string_view line(data, size * count);
  if (auto v = header_value(line, "date:")) t.response.date = *v;
  if (auto v = header_value(line, "etag:")) t.response.etag = *v;
  return size * count;
}

size_t on_read(char* buffer, size_t size, size_t count, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  const size_t n = std::min(size * count, t.upload.size() - t.sent);
  std::copy_n(t.upload.data() + t.sent, n, buffer);
  t.sent += n;
  return n;
}

bool transient_curl(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

bool transient_status(long status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

}  // namespace

struct S3Client::Handle {
  CURL* curl = nullptr;
  Handle() : curl(curl_easy_init()) {}
  ~Handle() { curl_easy_cleanup(curl); }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
};

std::string lower_hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string random_hex(size_t count) {
  global_init();  // sodium_init
  std::string raw(count, '\0');
  randombytes_buf(raw.data(), raw.size());
  return lower_hex(raw);
}

std::string uri_encode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string describe_reply(const S3Response& response) {
  std::string text = "HTTP " + std::to_string(response.status);
  if (auto error = parse_error_reply(response.body); error && !error->code.empty()) {
    text += " " + error->code;
    if (!error->message.empty()) text += ": " + error->message;
  }
  return text;
}

Error reply_error(const std::string& op, const std::string& what, const S3Response& response) {
  const int code = response.status == 404 ? ENOENT : response.status == 403 ? EACCES : EIO;
  return Error(op, what, code, describe_reply(response));
}

S3Client::S3Client(S3Settings settings, std::string bucket)
    : settings_(std::move(settings)),
      bucket_(std::move(bucket)),
      credentials_(settings_.access_key + ":" + settings_.secret_key),
      sigv4_("aws:amz:" + settings_.region + ":s3") {
  global_init();
  while (!settings_.endpoint.empty() && settings_.endpoint.back() == '/')
    settings_.endpoint.pop_back();
}

S3Client::~S3Client() = default;

std::string S3Client::url(const std::string& key) const {
  std::string out = settings_.endpoint + "/" + bucket_;
  if (!key.empty()) out += "/" + uri_encode(key, /*keep_slash=*/true);
  return out;
}

std::unique_ptr<S3Client::Handle> S3Client::take_handle() const {
  std::lock_guard lock(pool_mutex_);
  if (pool_.empty()) return std::make_unique<Handle>();
  auto handle = std::move(pool_.back());
  pool_.pop_back();
  return handle;
}

void S3Client::give_back(std::unique_ptr<Handle> handle) const {
  std::lock_guard lock(pool_mutex_);
  if (pool_.size() < 16) pool_.push_back(std::move(handle));
}

Result<S3Response> S3Client::send(const S3Request& request, const std::string& what) const {
  auto handle = take_handle();
  if (handle->curl == nullptr) return fail("S3 request", what, ENOMEM, "curl_easy_init failed");
  std::mt19937 jitter(std::random_device{}());
  auto backoff = settings_.first_backoff;
  for (int attempt = 1;; ++attempt) {
    auto result = send_once(*handle, request, what);
    const bool retry = result ? transient_status(result->status) : result.error().transient();
    if (!retry || attempt >= settings_.attempts) {
      give_back(std::move(handle));
      const std::string tries = " (after " + std::to_string(attempt) + " tries)";
      if (result && transient_status(result->status)) {
        return fail("S3 " + request.method, what, EIO, describe_reply(*result) + tries,
                    /*transient=*/true);
      }
      if (!result && result.error().transient() && attempt > 1) {
        const Error& e = result.error();
        return fail(e.op(), e.path(), e.code(), e.detail() + tries, /*transient=*/true);
      }
      return result;
    }
    // Exponential backoff with jitter, so writers that failed together do not retry together.
    std::uniform_int_distribution<long> spread(0, backoff.count() / 2);
    std::this_thread::sleep_for(backoff + std::chrono::milliseconds(spread(jitter)));
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
}

Result<S3Response> S3Client::send_once(Handle& handle, const S3Request& request,
                                       const std::string& what) const {
  CURL* curl = handle.curl;
  curl_easy_reset(curl);
  std::string target = url(request.key);
  if (!request.query.empty()) {
    // libcurl 7.88 signs the query as it is written: it must already be in SigV4's canonical
    // form (sorted, encoded, "key=" for a flag), which std::map's order gives.
    char separator = '?';
    for (const auto& [key, value] : request.query) {
      target += separator + uri_encode(key, false) + "=" + uri_encode(value, false);
      separator = '&';
    }
  }
  Transfer transfer;
  transfer.upload = request.body;
  curl_slist* headers = nullptr;
  // Signed: RGW and AWS check the body against it, so a damaged upload is refused. (No
  // "Expect:" to turn off 100-continue: curl 7.88 would sign the header it then leaves out.)
  const std::string payload = "x-amz-content-sha256: " + sha256_hex(request.body);
  headers = curl_slist_append(headers, payload.c_str());
  for (const auto& h : request.headers) headers = curl_slist_append(headers, h.c_str());

  curl_easy_setopt(curl, CURLOPT_URL, target.c_str());
  curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4_.c_str());
  curl_easy_setopt(curl, CURLOPT_USERPWD, credentials_.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT,
                   static_cast<long>(settings_.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME,
                   static_cast<long>(settings_.stall_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  if (request.method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(curl, CURLOPT_READDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (request.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    // Never a null pointer: with none, curl would read the body from its read callback.
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.empty() ? "" : request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
    headers = curl_slist_append(headers, "Content-Type: application/xml");
  } else if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  const CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (code != CURLE_OK) {
    if (transfer.too_big) {
      return std::unexpected(
          Error("S3 " + request.method, what, EPROTO, "the server's reply exceeds 1 GiB"));
    }
    return fail("S3 " + request.method, what, EIO, curl_easy_strerror(code), transient_curl(code));
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &transfer.response.status);
  return std::move(transfer.response);
}

}  // namespace nb::repo::s3
