#include "nodebackupd/http/html.h"

#include <cstdio>

#include <fmt/format.h>

#include "util/clock.h"

namespace nb::daemon::http {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// Percent-decodes one segment; false on a malformed escape or a decoded '/' or NUL, which
// would let one segment smuggle in several, or cut a path short.
bool decode_segment(std::string_view raw, std::string& out) {
  out.clear();
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '%') {
      out += raw[i];
      continue;
    }
    const int hi = i + 1 < raw.size() ? hex_value(raw[i + 1]) : -1;
    const int lo = i + 2 < raw.size() ? hex_value(raw[i + 2]) : -1;
    if (hi < 0 || lo < 0) return false;
    const char c = static_cast<char>(hi * 16 + lo);
    if (c == '/' || c == '\0' || c == '\\') return false;
    out += c;
    i += 2;
  }
  return out != "." && out != "..";
}

constexpr std::string_view kStyle = R"(
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
header{background:#1d2430;color:#fff;padding:10px 20px}header a{color:#fff;text-decoration:none;font-weight:600}
main{padding:16px 20px}h1{font-size:20px;margin:4px 0 12px}h2{font-size:16px;margin:20px 0 8px}
table{border-collapse:collapse;background:#fff;width:100%}th,td{padding:5px 8px;border-bottom:1px solid #e3e6ea;text-align:left;vertical-align:top}
th{background:#eef0f3;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
.state-idle{color:#1a7f37}.state-running,.state-queued{color:#0b5cad}.state-failing,.failed{color:#c62828;font-weight:600}
.alarm{background:#fff4e5;border-left:4px solid #e65100;padding:8px 12px;margin:8px 0}.alarm code{background:#fde3c4}
.badge{display:inline-block;padding:1px 6px;border-radius:3px;background:#e65100;color:#fff;font-size:12px;margin-right:4px}
.ok{color:#1a7f37}svg{background:#fff;border:1px solid #e3e6ea}.legend span{margin-right:14px}
.sw{display:inline-block;width:10px;height:10px;margin-right:4px}
.touched{fill:#f59e0b}.changed{fill:#2563eb}.new{fill:#16a34a}.fail{fill:#dc2626}.read{stroke:#7c3aed}.stored{stroke:#0891b2}
code{font-family:ui-monospace,monospace;font-size:13px}
)";

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string url_segment(std::string_view segment) {
  std::string out;
  for (const char c : segment) {
    const auto u = static_cast<unsigned char>(c);
    if (unreserved(u)) {
      out += c;
    } else {
      out += fmt::format("%{:02X}", u);
    }
  }
  return out;
}

std::string url_path(std::string_view path) {
  std::string out;
  size_t start = 0;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const auto end = slash == std::string_view::npos ? path.size() : slash;
    out += url_segment(path.substr(start, end - start));
    if (slash == std::string_view::npos) break;
    out += '/';
    start = slash + 1;
  }
  return out;
}

std::vector<std::string> decode_path(std::string_view path, bool& ok) {
  ok = false;
  std::vector<std::string> out;
  if (path.empty() || path.front() != '/') return out;
  path.remove_prefix(1);
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.empty()) {
    ok = true;
    return out;
  }
  std::string decoded;
  size_t start = 0;
  for (;;) {
    const auto slash = path.find('/', start);
    const auto raw =
        path.substr(start, slash == std::string_view::npos ? path.npos : slash - start);
    if (raw.empty() || !decode_segment(raw, decoded) || decoded.empty()) return {};
    out.push_back(decoded);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  ok = true;
  return out;
}

std::string short_bytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", value, units[unit]);
}

std::string short_time(int64_t ns) {
  if (ns <= 0) return "—";
  std::string t = rfc3339(ns);
  if (t.size() > 10 && t[10] == 'T') t[10] = ' ';
  return t;
}

std::string page(std::string_view title, std::string_view body) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
      "<title>{} — nodebackup</title><style>{}</style></head>\n<body><header><a "
      "href=\"/\">nodebackup</a></header><main>\n{}</main></body></html>\n",
      escape(title), kStyle, body);
}

}  // namespace nb::daemon::http
