#include "notify/deliver.h"

#include <curl/curl.h>

#include <cstring>
#include <memory>
#include <mutex>

#include "notify/format.h"
#include "notify/match.h"
#include "util/file.h"
#include "util/subprocess.h"

namespace nb::notify {
namespace {

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct ListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;
using HeaderList = std::unique_ptr<curl_slist, ListDeleter>;

void append(HeaderList& list, const std::string& line) {
  list.reset(curl_slist_append(list.release(), line.c_str()));
}

// "Name: value" lines of a secrets file (an Authorization header, say); blank lines and
// lines starting with '#' are skipped.
Result<> add_header_file(HeaderList& list, const std::string& path) {
  auto text = read_file(path);
  if (!text) return std::unexpected(text.error());
  for (const std::string& line : text_lines(*text)) {
    if (line.empty() || line.front() == '#') continue;
    if (line.find(':') == std::string::npos) {
      return fail("read headers", path, 0, "a line is not \"Name: value\"");
    }
    append(list, line);
  }
  return {};
}

Result<std::string> first_line(const std::string& path) {
  auto text = read_file(path);
  if (!text) return std::unexpected(text.error());
  const auto end = text->find_first_of("\r\n");
  return end == std::string::npos ? *text : text->substr(0, end);
}

int on_progress(void* cancelled, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* check = static_cast<const std::function<bool()>*>(cancelled);
  return (*check && (*check)()) ? 1 : 0;
}

size_t discard(char*, size_t size, size_t count, void*) {
  return size * count;
}

struct Upload {
  const std::string* data;
  size_t offset = 0;
};

size_t read_upload(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const size_t n = std::min(size * count, upload->data->size() - upload->offset);
  std::memcpy(buffer, upload->data->data() + upload->offset, n);
  upload->offset += n;
  return n;
}

CurlHandle common_handle(const config::NotifyTarget& target, const std::string& url,
                         const std::function<bool()>& cancelled, char* error_buffer) {
  CurlHandle curl(curl_easy_init());
  if (!curl) return curl;
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for DNS timeouts
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(target.timeout.count() * 1000));
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,smtp,smtps");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "nodebackup/" NB_VERSION);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &cancelled);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
  if (target.ca_file) curl_easy_setopt(c, CURLOPT_CAINFO, target.ca_file->c_str());
  return curl;
}

bool transient_curl(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

Result<> perform(CURL* curl, const std::string& where, const char* error_buffer) {
  const CURLcode code = curl_easy_perform(curl);
  if (code != CURLE_OK) {
    const std::string why = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
    return fail("notify", where, 0, why, transient_curl(code));
  }
  return {};
}

// The URL without its path and query: a Healthchecks ping key or a token in the URL stays out
// of the log.
std::string redacted(const std::string& url) {
  const auto host = url.find("://");
  const auto path = host == std::string::npos ? url.find('/') : url.find('/', host + 3);
  return path == std::string::npos ? url : url.substr(0, path) + "/…";
}

Result<> http_post(const config::NotifyTarget& target, const std::string& url, const HttpBody& body,
                   const std::function<bool()>& cancelled) {
  char error_buffer[CURL_ERROR_SIZE] = {};
  auto curl = common_handle(target, url, cancelled, error_buffer);
  if (!curl) return fail("notify", target.name, ENOMEM, "cannot create a curl handle");
  HeaderList headers;
  append(headers, "Content-Type: " + body.content_type);
  for (const auto& line : body.headers) append(headers, line);
  if (target.headers_file) {
    if (auto r = add_header_file(headers, *target.headers_file); !r) return r;
  }
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.body.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(body.body.size()));
  if (auto r = perform(curl.get(), redacted(url), error_buffer); !r) return r;
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status >= 200 && status < 300) return {};
  const bool transient = status >= 500 || status == 429 || status == 408;
  return fail("notify", redacted(url), 0, "HTTP status " + std::to_string(status), transient);
}

Result<> send_mail(const config::NotifyTarget& target, const Event& event,
                   const std::function<bool()>& cancelled) {
  char error_buffer[CURL_ERROR_SIZE] = {};
  auto curl = common_handle(target, target.url, cancelled, error_buffer);
  if (!curl) return fail("notify", target.name, ENOMEM, "cannot create a curl handle");
  CURL* c = curl.get();
  std::string password;
  if (target.password_file) {
    auto line = first_line(*target.password_file);
    if (!line) return std::unexpected(line.error());
    password = std::move(*line);
    curl_easy_setopt(c, CURLOPT_USERNAME, target.username->c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, password.c_str());
  }
  if (target.starttls && target.url.starts_with("smtp://")) {
    curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  }
  const std::string from = "<" + target.from + ">";
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
  HeaderList recipients;
  for (const auto& to : target.to) append(recipients, "<" + to + ">");
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, recipients.get());
  const std::string message = mail_message(target, event);
  Upload upload{&message};
  curl_easy_setopt(c, CURLOPT_READFUNCTION, read_upload);
  curl_easy_setopt(c, CURLOPT_READDATA, &upload);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  return perform(c, redacted(target.url), error_buffer);
}

Result<> run_target_command(const config::NotifyTarget& target, const Event& event,
                            const std::function<bool()>& cancelled) {
  auto outcome = run_command(target.command, command_environment(event),
                             to_json(event).dump() + "\n", target.timeout, cancelled);
  if (!outcome) return std::unexpected(outcome.error());
  if (outcome->ok()) return {};
  std::string detail = outcome->describe();
  if (!outcome->output.empty()) detail += ": " + outcome->output.substr(0, 400);
  while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' ')) detail.pop_back();
  return fail("notify", target.command.front(), 0, detail, /*transient=*/true);
}

}  // namespace

void init_transport() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Result<> deliver(const config::NotifyTarget& target, const Event& event,
                 const std::function<bool()>& cancelled) {
  init_transport();
  switch (target.type) {
    case config::NotifyType::webhook:
      return http_post(target, target.url, webhook_body(target.format, event), cancelled);
    case config::NotifyType::ping: {
      const std::string url = ping_url(target, event);
      if (url.empty()) return {};
      return http_post(target, url, {"text/plain; charset=utf-8", text(event), {}}, cancelled);
    }
    case config::NotifyType::email:
      return send_mail(target, event, cancelled);
    case config::NotifyType::command:
      return run_target_command(target, event, cancelled);
  }
  return {};
}

}  // namespace nb::notify
