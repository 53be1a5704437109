#include "repo/storage/s3/s3_xml.h"

#include <expat.h>

#include <charconv>
#include <cstdio>
#include <ctime>
#include <functional>
#include <optional>

namespace nb::repo::s3 {

namespace {

// An element's end, with its path from the root ("ListBucketResult/Contents/Key") and text.
using ElementEnd = std::function<void(const std::string& path, const std::string& text)>;

struct Walk {
  std::string path;
  std::string text;
  const ElementEnd* on_end = nullptr;
  int depth = 0;
  bool too_deep = false;
  XML_Parser parser = nullptr;
};

constexpr int kMaxDepth = 16;  // S3's replies nest 3 deep; deeper is someone playing games

void XMLCALL start_element(void* user, const XML_Char* name, const XML_Char**) {
  auto& w = *static_cast<Walk*>(user);
  if (++w.depth > kMaxDepth) {
    w.too_deep = true;
    XML_StopParser(w.parser, XML_FALSE);
    return;
  }
  if (!w.path.empty()) w.path += '/';
  w.path += name;
  w.text.clear();
}

void XMLCALL end_element(void* user, const XML_Char*) {
  auto& w = *static_cast<Walk*>(user);
  if (w.depth-- > kMaxDepth) return;
  (*w.on_end)(w.path, w.text);
  const auto slash = w.path.rfind('/');
  w.path.erase(slash == std::string::npos ? 0 : slash);
  w.text.clear();
}

void XMLCALL characters(void* user, const XML_Char* s, int len) {
  auto& w = *static_cast<Walk*>(user);
  if (w.text.size() < 64 * 1024) w.text.append(s, static_cast<size_t>(len));
}

Result<> walk_xml(std::string_view xml, const ElementEnd& on_end) {
  XML_Parser parser = XML_ParserCreate(nullptr);
  if (parser == nullptr) return fail("parse S3 reply", "", ENOMEM);
  Walk walk;
  walk.on_end = &on_end;
  walk.parser = parser;
  XML_SetUserData(parser, &walk);
  XML_SetElementHandler(parser, start_element, end_element);
  XML_SetCharacterDataHandler(parser, characters);
  const auto status = XML_Parse(parser, xml.data(), static_cast<int>(xml.size()), XML_TRUE);
  Result<> result;
  if (walk.too_deep) {
    result = fail("parse S3 reply", "", EPROTO, "elements nest too deep");
  } else if (status != XML_STATUS_OK) {
    result = fail("parse S3 reply", "", EPROTO,
                  std::string("line ") + std::to_string(XML_GetCurrentLineNumber(parser)) + ": " +
                      XML_ErrorString(XML_GetErrorCode(parser)));
  }
  XML_ParserFree(parser);
  return result;
}

Result<uint64_t> parse_size(const std::string& text) {
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return fail("parse S3 reply", "", EPROTO, "bad size \"" + text.substr(0, 40) + "\"");
  }
  return v;
}

}  // namespace

Result<int64_t> parse_iso_time(std::string_view text) {
  std::tm tm{};
  int fields = 0;
  const std::string s(text.substr(0, 19));
  fields = std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                       &tm.tm_hour, &tm.tm_min, &tm.tm_sec);
  if (fields != 6) {
    return fail("parse S3 reply", "", EPROTO,
                "bad time \"" + std::string(text.substr(0, 40)) + "\"");
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(::timegm(&tm));
}

Result<ListPage> parse_list_page(std::string_view xml) {
  ListPage page;
  ListedObject current;
  std::optional<Error> bad;
  const ElementEnd on_end = [&](const std::string& path, const std::string& text) {
    if (path == "ListBucketResult/Contents/Key") {
      current.key = text;
    } else if (path == "ListBucketResult/Contents/Size") {
      if (auto v = parse_size(text))
        current.size = *v;
      else
        bad = v.error();
    } else if (path == "ListBucketResult/Contents/LastModified") {
      if (auto t = parse_iso_time(text))
        current.last_modified = *t;
      else
        bad = t.error();
    } else if (path == "ListBucketResult/Contents") {
      page.objects.push_back(std::move(current));
      current = {};
    } else if (path == "ListBucketResult/IsTruncated") {
      page.truncated = text == "true";
    } else if (path == "ListBucketResult/NextContinuationToken") {
      page.next_token = text;
    }
  };
  if (auto r = walk_xml(xml, on_end); !r) return std::unexpected(r.error());
  if (bad) return std::unexpected(*bad);
  if (page.truncated && page.next_token.empty()) {
    return fail("parse S3 reply", "", EPROTO, "a truncated listing without a continuation token");
  }
  return page;
}

Result<UploadsPage> parse_uploads_page(std::string_view xml) {
  UploadsPage page;
  Upload current;
  const ElementEnd on_end = [&](const std::string& path, const std::string& text) {
    if (path == "ListMultipartUploadsResult/Upload/Key") {
      current.key = text;
    } else if (path == "ListMultipartUploadsResult/Upload/UploadId") {
      current.upload_id = text;
    } else if (path == "ListMultipartUploadsResult/Upload") {
      page.uploads.push_back(std::move(current));
      current = {};
    } else if (path == "ListMultipartUploadsResult/IsTruncated") {
      page.truncated = text == "true";
    } else if (path == "ListMultipartUploadsResult/NextKeyMarker") {
      page.next_key_marker = text;
    } else if (path == "ListMultipartUploadsResult/NextUploadIdMarker") {
      page.next_upload_id_marker = text;
    }
  };
  if (auto r = walk_xml(xml, on_end); !r) return std::unexpected(r.error());
  if (page.truncated && page.next_key_marker.empty()) {
    return fail("parse S3 reply", "", EPROTO, "a truncated upload listing without a marker");
  }
  return page;
}

Result<std::string> parse_upload_id(std::string_view xml) {
  std::string id;
  const ElementEnd on_end = [&](const std::string& path, const std::string& text) {
    if (path == "InitiateMultipartUploadResult/UploadId") id = text;
  };
  if (auto r = walk_xml(xml, on_end); !r) return std::unexpected(r.error());
  if (id.empty()) return fail("parse S3 reply", "", EPROTO, "no UploadId in the reply");
  return id;
}

Result<ErrorReply> parse_error_reply(std::string_view xml) {
  ErrorReply reply;
  if (xml.empty()) return reply;
  const ElementEnd on_end = [&](const std::string& path, const std::string& text) {
    if (path == "Error/Code") reply.code = text;
    if (path == "Error/Message") reply.message = text;
  };
  if (auto r = walk_xml(xml, on_end); !r) return std::unexpected(r.error());
  return reply;
}

}  // namespace nb::repo::s3
