#include "repo/storage/s3/s3_storage.h"

#include "repo/storage/s3/s3_lease.h"
#include "repo/storage/s3/s3_list.h"
#include "repo/storage/s3/s3_pack_cache.h"
#include "repo/storage/s3/s3_pending.h"

namespace nb::repo::s3 {

namespace {

// Keys below the prefix that are not repository files: leases and multipart leftovers.
constexpr std::string_view kLocks = "locks/";
constexpr std::string_view kTemp = "tmp/";
// An unfinished multipart upload is named "<key>@<upload id>" by list_incomplete().
constexpr char kUploadSeparator = '@';

class S3Storage final : public Storage {
 public:
  S3Storage(const S3Settings& settings, const S3Location& location, S3StorageOptions options)
      : client_(settings, location.bucket),
        prefix_(location.prefix),
        options_(options),
        location_("s3://" + location.bucket + "/" + location.prefix) {}

  Result<> put(const std::string& name, std::string_view data) override {
    const std::string key = prefix_ + name;
    const S3Request request = s3_request("PUT", key, {}, data);
    auto response = client_.send(request, describe(name));
    if (!response) return std::unexpected(response.error());
    if (response->status != 200)
      return std::unexpected(reply_error("S3 PUT", describe(name), *response));
    return {};
  }

  Result<std::unique_ptr<PendingFile>> create_pending(const std::string&) override {
    return make_s3_pending(client_, prefix_, prefix_ + std::string(kTemp) + random_hex(12),
                           options_.part_size, options_.parallel_parts);
  }

  Result<std::string> get(const std::string& name) const override {
    const S3Request request = s3_request("GET", prefix_ + name);
    auto response = client_.send(request, describe(name));
    if (!response) return std::unexpected(response.error());
    if (response->status != 200)
      return std::unexpected(reply_error("S3 GET", describe(name), *response));
    return std::move(response->body);
  }

  Result<std::string> get_range(const std::string& name, uint64_t offset,
                                uint64_t length) const override {
    if (name.starts_with("data/")) return pack_range(name, offset, length);
    return fetch_range(name, offset, length);
  }

  // Blobs are read from whole packs, fetched once and kept (s3_pack_cache.h).
  Result<std::string> pack_range(const std::string& name, uint64_t offset, uint64_t length) const {
    auto pack = cache_.find(name);
    if (!pack) {
      auto whole = get(name);
      if (!whole) return std::unexpected(whole.error());
      pack = std::make_shared<const std::string>(std::move(*whole));
      cache_.insert(name, pack);
    }
    if (offset > pack->size() || pack->size() - offset < length) {
      return fail("read", describe(name), EIO, "file is shorter than its index says");
    }
    return pack->substr(offset, length);
  }

  Result<std::string> fetch_range(const std::string& name, uint64_t offset, uint64_t length) const {
    if (length == 0) {
      const S3Request head = s3_request("HEAD", prefix_ + name);
      auto response = client_.send(head, describe(name));
      if (!response) return std::unexpected(response.error());
      if (response->status != 200)
        return std::unexpected(reply_error("S3 HEAD", describe(name), *response));
      return std::string();
    }
    const S3Request request = s3_request(
        "GET", prefix_ + name, {}, {},
        {"Range: bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1)});
    auto response = client_.send(request, describe(name));
    if (!response) return std::unexpected(response.error());
    std::string& body = response->body;
    if (response->status == 200 && body.size() >= offset + length) {
      return body.substr(offset, length);  // a server that ignores Range sends it all
    }
    if (response->status == 416 ||
        ((response->status == 206 || response->status == 200) && body.size() != length)) {
      return fail("read", describe(name), EIO, "file is shorter than its index says");
    }
    if (response->status != 206)
      return std::unexpected(reply_error("S3 GET", describe(name), *response));
    return std::move(body);
  }

  Result<std::vector<StoredFile>> list(const std::string& prefix) const override {
    auto listing = list_objects(client_, prefix_ + prefix, options_.list_page_size);
    if (!listing) return std::unexpected(listing.error());
    std::vector<StoredFile> out;
    for (auto& o : listing->objects) {
      std::string name = o.key.substr(prefix_.size());
      if (name.starts_with(kLocks) || name.starts_with(kTemp)) continue;
      out.push_back({std::move(name), o.size});
    }
    return out;
  }

  Result<> remove(const std::string& name) override {
    const S3Request request = s3_request("DELETE", prefix_ + name);
    auto response = client_.send(request, describe(name));
    if (!response) return std::unexpected(response.error());
    // S3 answers 204 for a key that was never there: a re-run prune meets what it deleted.
    if (response->status != 204 && response->status != 200 && response->status != 404) {
      return std::unexpected(reply_error("S3 DELETE", describe(name), *response));
    }
    return {};
  }

  Result<std::unique_ptr<StorageLock>> lock(bool exclusive, bool wait) override {
    return acquire_lease(client_, prefix_ + std::string(kLocks), exclusive, wait, options_.lease);
  }

  Result<std::vector<StoredFile>> list_incomplete() const override {
    std::vector<StoredFile> out;
    auto uploads = list_uploads(client_, prefix_);
    if (!uploads) return std::unexpected(uploads.error());
    for (const auto& u : *uploads) {
      out.push_back({u.key.substr(prefix_.size()) + kUploadSeparator + u.upload_id, 0});
    }
    auto temps = list_objects(client_, prefix_ + std::string(kTemp));
    if (!temps) return std::unexpected(temps.error());
    for (const auto& o : temps->objects) out.push_back({o.key.substr(prefix_.size()), o.size});
    return out;
  }

  Result<> remove_incomplete(const std::string& name) override {
    const auto at = name.rfind(kUploadSeparator);
    if (at == std::string::npos) return remove(name);
    const std::string key = prefix_ + name.substr(0, at);
    const S3Request abort = s3_request("DELETE", key, {{"uploadId", name.substr(at + 1)}});
    auto response = client_.send(abort, describe(name));
    if (!response) return std::unexpected(response.error());
    if (response->status != 204 && response->status != 200 && response->status != 404) {
      return std::unexpected(reply_error("abort multipart upload", describe(name), *response));
    }
    return {};
  }

  const std::string& location() const override { return location_; }
  std::string describe(const std::string& name) const override { return location_ + name; }

  Result<> check_bucket(bool create) {
    const S3Request head = s3_request("HEAD");
    auto response = client_.send(head, location_);
    if (!response) return std::unexpected(response.error());
    if (response->status == 200) return {};
    if (response->status == 404 && create) {
      const S3Request make = s3_request("PUT");
      auto made = client_.send(make, location_);
      if (!made) return std::unexpected(made.error());
      if (made->status == 200 || made->status == 409) return {};  // 409: made meanwhile
      return std::unexpected(reply_error("create bucket", location_, *made));
    }
    return std::unexpected(reply_error("open bucket", location_, *response));
  }

 private:
  S3Client client_;
  std::string prefix_;
  S3StorageOptions options_;
  std::string location_;
  mutable PackCache cache_{uint64_t{64} << 20};  // four full packs
};

bool valid_bucket(std::string_view b) {
  if (b.size() < 3 || b.size() > 63) return false;
  for (char c : b) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) return false;
  }
  return true;
}

}  // namespace

bool is_s3_url(std::string_view repository) {
  return repository.starts_with("s3://");
}

Result<S3Location> parse_s3_url(std::string_view repository) {
  if (!is_s3_url(repository)) {
    return fail("parse repository", std::string(repository), EINVAL, "not an s3:// URL");
  }
  std::string_view rest = repository.substr(5);
  const auto slash = rest.find('/');
  S3Location location;
  location.bucket = rest.substr(0, slash);
  if (!valid_bucket(location.bucket)) {
    return fail("parse repository", std::string(repository), EINVAL,
                "the bucket name must be 3-63 characters of a-z, 0-9, '.' and '-'");
  }
  if (slash != std::string_view::npos) {
    std::string prefix(rest.substr(slash + 1));
    while (prefix.ends_with('/')) prefix.pop_back();
    if (prefix.find("//") != std::string::npos || prefix.starts_with('/')) {
      return fail("parse repository", std::string(repository), EINVAL, "empty path component");
    }
    if (!prefix.empty()) location.prefix = prefix + "/";
  }
  return location;
}

Result<std::unique_ptr<Storage>> open_s3_storage(const S3Settings& settings,
                                                 const S3Location& location, bool create_bucket,
                                                 S3StorageOptions options) {
  auto storage = std::make_unique<S3Storage>(settings, location, options);
  if (auto r = storage->check_bucket(create_bucket); !r) return std::unexpected(r.error());
  return std::unique_ptr<Storage>(std::move(storage));
}

}  // namespace nb::repo::s3
