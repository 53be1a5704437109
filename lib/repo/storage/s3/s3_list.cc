#include "repo/storage/s3/s3_list.h"

#include <curl/curl.h>

#include <ctime>

namespace nb::repo::s3 {

Result<Listing> list_objects(const S3Client& client, const std::string& prefix, int page_size) {
  Listing listing;
  std::string token;
  const std::string what = client.url("") + "?prefix=" + prefix;
  for (int page = 0;; ++page) {
    S3Request request = s3_request(
        "GET", {},
        {{"list-type", "2"}, {"max-keys", std::to_string(page_size)}, {"prefix", prefix}});
    if (!token.empty()) request.query["continuation-token"] = token;
    auto response = client.send(request, what);
    if (!response) return std::unexpected(response.error());
    if (response->status != 200) return std::unexpected(reply_error("S3 list", what, *response));
    auto parsed = parse_list_page(response->body);
    if (!parsed) return fail("S3 list", what, EPROTO, parsed.error().detail());
    for (auto& o : parsed->objects) listing.objects.push_back(std::move(o));
    const time_t date = curl_getdate(response->date.c_str(), nullptr);
    listing.server_time = date > 0 ? date : std::time(nullptr);
    if (!parsed->truncated) return listing;
    if (parsed->next_token == token || page > 1'000'000) {
      return fail("S3 list", what, EPROTO, "the server repeats its continuation token");
    }
    token = parsed->next_token;
  }
}

Result<std::vector<Upload>> list_uploads(const S3Client& client, const std::string& prefix) {
  std::vector<Upload> out;
  std::string key_marker, id_marker;
  const std::string what = client.url("") + "?uploads&prefix=" + prefix;
  for (int page = 0;; ++page) {
    S3Request request = s3_request("GET", {}, {{"uploads", ""}, {"prefix", prefix}});
    if (!key_marker.empty()) request.query["key-marker"] = key_marker;
    if (!id_marker.empty()) request.query["upload-id-marker"] = id_marker;
    auto response = client.send(request, what);
    if (!response) return std::unexpected(response.error());
    if (response->status != 200)
      return std::unexpected(reply_error("S3 list uploads", what, *response));
    auto parsed = parse_uploads_page(response->body);
    if (!parsed) return fail("S3 list uploads", what, EPROTO, parsed.error().detail());
    for (auto& u : parsed->uploads) out.push_back(std::move(u));
    if (!parsed->truncated) return out;
    if ((parsed->next_key_marker == key_marker && parsed->next_upload_id_marker == id_marker) ||
        page > 1'000'000) {
      return fail("S3 list uploads", what, EPROTO, "the server repeats its markers");
    }
    key_marker = parsed->next_key_marker;
    id_marker = parsed->next_upload_id_marker;
  }
}

}  // namespace nb::repo::s3
