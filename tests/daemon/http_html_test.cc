// The dashboard's text helpers: escaping what nodes supply, and splitting URL paths so that no
// segment can smuggle in "..", a slash or a NUL.
#include <catch2/catch.hpp>

#include "nodebackupd/http/html.h"

using nb::daemon::http::decode_path;
using nb::daemon::http::escape;
using nb::daemon::http::url_path;
using nb::daemon::http::url_segment;

namespace {

std::vector<std::string> decoded(const std::string& path) {
  bool ok = false;
  auto parts = decode_path(path, ok);
  REQUIRE(ok);
  return parts;
}

bool refused(const std::string& path) {
  bool ok = true;
  decode_path(path, ok);
  return !ok;
}

}  // namespace

TEST_CASE("http html: escape covers element content and attribute values", "[http]") {
  CHECK(escape("<a href=\"x\">O'Neil & co</a>") ==
        "&lt;a href=&quot;x&quot;&gt;O&#39;Neil &amp; co&lt;/a&gt;");
  CHECK(escape("plain/path.txt") == "plain/path.txt");
}

TEST_CASE("http html: URL segments round-trip through decode_path", "[http]") {
  CHECK(url_segment("a b/c?d#e%") == "a%20b%2Fc%3Fd%23e%25");
  CHECK(url_path("/srv/a b/ü") == "/srv/a%20b/%C3%BC");
  CHECK(decoded("/") == std::vector<std::string>{});
  CHECK(decoded("/nodes/01_node/") == std::vector<std::string>{"nodes", "01_node"});
  CHECK(decoded(url_path("/srv/a b/ü")) == std::vector<std::string>{"srv", "a b", "ü"});
  CHECK(decoded("/x/.hidden/a..b") == std::vector<std::string>{"x", ".hidden", "a..b"});
}

TEST_CASE("http html: decode_path refuses traversal in every spelling", "[http]") {
  for (const std::string bad :
       {"", "relative", "/..", "/a/../b", "/a/./b", "/%2e%2e", "/%2E%2e/x", "/.%2e", "/%2e",
        "/a%2fb", "/a%2Fb", "/a%5cb", "/a%00b", "//etc/passwd", "/a//b", "/a%", "/a%2", "/a%zz"}) {
    INFO("path \"" << bad << "\"");
    CHECK(refused(bad));
  }
}
