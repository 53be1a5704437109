#include "repo/storage/s3/s3_pending.h"

#include <deque>
#include <future>
#include <optional>
#include <vector>

#include "repo/storage/s3/s3_xml.h"

namespace nb::repo::s3 {

namespace {

class S3PendingFile final : public PendingFile {
 public:
  S3PendingFile(const S3Client& client, std::string key_prefix, std::string temp_key,
                size_t part_size, int parallel_parts)
      : client_(client),
        key_prefix_(std::move(key_prefix)),
        temp_key_(std::move(temp_key)),
        part_size_(part_size),
        parallel_parts_(static_cast<size_t>(parallel_parts)) {}

  ~S3PendingFile() override {
    // Parts still in flight reference this object: wait for them before it goes.
    for (auto& f : in_flight_) f.wait();
    if (!upload_id_.empty() && !committed_) abort_upload();
  }

  Result<> append(std::string_view data) override {
    if (failed_) return std::unexpected(*failed_);
    buffer_.append(data);
    while (buffer_.size() >= part_size_ + part_size_ / 2) {
      // Keep at least half a part back, so the last part is never below S3's minimum.
      if (auto r = send_part(buffer_.substr(0, part_size_)); !r) return remember(r.error());
      buffer_.erase(0, part_size_);
    }
    return {};
  }

  Result<> commit(const std::string& name) override {
    if (failed_) return std::unexpected(*failed_);
    const std::string key = key_prefix_ + name;
    if (upload_id_.empty()) {
      const S3Request put = s3_request("PUT", key, {}, buffer_);
      auto response = client_.send(put, client_.url(key));
      if (!response) return remember(response.error());
      if (response->status != 200)
        return remember(reply_error("S3 PUT", client_.url(key), *response));
      committed_ = true;
      return {};
    }
    if (!buffer_.empty()) {
      if (auto r = send_part(std::move(buffer_)); !r) return remember(r.error());
      buffer_.clear();
    }
    if (auto r = complete(); !r) return remember(r.error());
    committed_ = true;
    return s3_move(client_, temp_key_, key);
  }

 private:
  Result<> remember(Error error) {
    failed_ = error;
    return std::unexpected(std::move(error));
  }

  Result<> start_upload() {
    const S3Request init = s3_request("POST", temp_key_, {{"uploads", ""}});
    auto response = client_.send(init, client_.url(temp_key_));
    if (!response) return std::unexpected(response.error());
    if (response->status != 200) {
      return std::unexpected(
          reply_error("start multipart upload", client_.url(temp_key_), *response));
    }
    auto id = parse_upload_id(response->body);
    if (!id)
      return fail("start multipart upload", client_.url(temp_key_), EPROTO, id.error().detail());
    upload_id_ = *id;
    return {};
  }

  // Hands the part to a background upload; waits for the oldest when enough are in flight.
  Result<> send_part(std::string part) {
    if (upload_id_.empty()) {
      if (auto r = start_upload(); !r) return r;
    }
    while (in_flight_.size() >= parallel_parts_) {
      if (auto r = finish_oldest(); !r) return r;
    }
    const int number = next_part_++;
    in_flight_.push_back(std::async(std::launch::async, [this, number, body = std::move(part)] {
      const S3Request request =
          s3_request("PUT", temp_key_,
                     {{"partNumber", std::to_string(number)}, {"uploadId", upload_id_}}, body);
      auto response = client_.send(request, client_.url(temp_key_));
      if (!response) return Result<std::string>(std::unexpected(response.error()));
      if (response->status != 200 || response->etag.empty()) {
        return Result<std::string>(
            std::unexpected(reply_error("upload part", client_.url(temp_key_), *response)));
      }
      return Result<std::string>(response->etag);
    }));
    return {};
  }

  Result<> finish_oldest() {
    auto etag = in_flight_.front().get();
    in_flight_.pop_front();
    if (!etag) return std::unexpected(etag.error());
    etags_.push_back(*etag);
    return {};
  }

  Result<> complete() {
    while (!in_flight_.empty()) {
      if (auto r = finish_oldest(); !r) return r;
    }
    std::string xml = "<CompleteMultipartUpload>";
    for (size_t i = 0; i < etags_.size(); ++i) {
      xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + etags_[i] +
             "</ETag></Part>";
    }
    xml += "</CompleteMultipartUpload>";
    const S3Request request = s3_request("POST", temp_key_, {{"uploadId", upload_id_}}, xml);
    auto response = client_.send(request, client_.url(temp_key_));
    if (!response) return std::unexpected(response.error());
    // The server may report a failure with status 200 and an <Error> body.
    auto error = parse_error_reply(response->body);
    if (response->status != 200 || !error || !error->code.empty()) {
      return std::unexpected(
          reply_error("complete multipart upload", client_.url(temp_key_), *response));
    }
    return {};
  }

  void abort_upload() {
    const S3Request request = s3_request("DELETE", temp_key_, {{"uploadId", upload_id_}});
    (void)client_.send(request, client_.url(temp_key_));  // else list_incomplete() shows it
  }

  const S3Client& client_;
  const std::string key_prefix_, temp_key_;
  const size_t part_size_, parallel_parts_;
  std::string buffer_;
  std::string upload_id_;
  int next_part_ = 1;
  std::deque<std::future<Result<std::string>>> in_flight_;
  std::vector<std::string> etags_;
  std::optional<Error> failed_;
  bool committed_ = false;
};

}  // namespace

Result<> s3_move(const S3Client& client, const std::string& from, const std::string& to) {
  const S3Request copy = s3_request(
      "PUT", to, {}, {}, {"x-amz-copy-source: /" + client.bucket() + "/" + uri_encode(from, true)});
  auto response = client.send(copy, client.url(to));
  if (!response) return std::unexpected(response.error());
  auto error = parse_error_reply(response->body);
  if (response->status != 200 || !error || !error->code.empty()) {
    return std::unexpected(
        reply_error("copy " + client.url(from) + " to", client.url(to), *response));
  }
  const S3Request remove = s3_request("DELETE", from);
  auto removed = client.send(remove, client.url(from));
  // A temporary object left behind is only a leftover that list_incomplete() shows.
  (void)removed;
  return {};
}

std::unique_ptr<PendingFile> make_s3_pending(const S3Client& client, std::string key_prefix,
                                             std::string temp_key, size_t part_size,
                                             int parallel_parts) {
  return std::make_unique<S3PendingFile>(client, std::move(key_prefix), std::move(temp_key),
                                         part_size, parallel_parts);
}

}  // namespace nb::repo::s3
