// Building the dashboard's pages: escaping (every string a node supplies — paths above all — is
// hostile input), URL path segments both ways, and the one page frame with its inline style, so
// a page needs nothing but itself (no CDN, no script, works offline).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nb::daemon::http {

// Text safe in HTML element content and in double-quoted attribute values.
std::string escape(std::string_view text);

// One path segment for a URL: everything but unreserved characters percent-encoded.
std::string url_segment(std::string_view segment);
// "/a/b c" -> "/a/b%20c", each component encoded, the slashes kept.
std::string url_path(std::string_view path);

// The decoded segments of a URL path ("/a/b%20c/" -> {"a", "b c"}). Empty when the path is
// hostile: a segment that is "." or "..", decodes to one containing '/' or NUL, a malformed
// escape, or an empty segment other than a trailing slash. `ok` tells failure from "/".
std::vector<std::string> decode_path(std::string_view path, bool& ok);

// 1.5 KiB, 3.2 MiB: short sizes for tables and tooltips.
std::string short_bytes(uint64_t bytes);
// "2026-11-29 10:00:00Z" (RFC 3339 with a space, for tables); "—" for 0.
std::string short_time(int64_t ns);

// A whole HTML document: the title, the style, a header linking back to the overview, `body`.
std::string page(std::string_view title, std::string_view body);

}  // namespace nb::daemon::http
