// The dashboard's snapshot browser (issue 15): listings and downloads of what a snapshot holds,
// names from the node escaped, and no path — "..", encoded dots or slashes, absolute paths —
// that reaches anything outside the snapshot.
#include <catch2/catch.hpp>

#include "daemon/http_fixture.h"
#include "support/http_client.h"

using namespace nb::test;
using json = nlohmann::json;

namespace {

const std::string kHostile = "<img src=x onerror=alert(1)>&\"'.txt";

}  // namespace

TEST_CASE("http browser: listings, escaped names and the download of one file", "[daemon][http]") {
  HttpFixture h;
  // A hostile name arrives with the second run of the node.
  write_file(h.f.src + "/sub/" + kHostile, "hostile content");
  REQUIRE(h.f.ctl({"-s", h.f.socket, "run", "01_node", "--wait"}).exit_code == 0);
  const auto ids = h.snapshot_ids("01_node", 2);
  const std::string base = "/nodes/01_node/snapshots/" + ids.back();

  const auto roots = http_get(h.port, base + "/");
  REQUIRE(roots.status == 200);
  CHECK_THAT(roots.body, Catch::Contains(h.f.src));

  const auto sub = http_get(h.port, base + h.f.src + "/sub");
  REQUIRE(sub.status == 200);
  CHECK_THAT(sub.body, !Catch::Contains("<img src=x"));
  CHECK_THAT(sub.body, Catch::Contains("&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#39;.txt"));

  const auto api = http_get(h.port, "/api" + base + h.f.src + "/sub");
  REQUIRE(api.status == 200);
  const auto listing = json::parse(api.body);
  std::vector<std::string> names;
  for (const auto& e : listing["entries"]) names.push_back(e["name"]);
  CHECK(names == std::vector<std::string>{kHostile, "a"});
  CHECK(listing["entries"][1]["size"] == 1);
  CHECK(listing["entries"][1]["type"] == "file");

  const auto file = http_get(h.port, base + h.f.src + "/f3");
  CHECK(file.status == 200);
  CHECK(file.body == "file 3");
  CHECK(file.header("content-type") == "application/octet-stream");
  CHECK_THAT(file.header("content-disposition"), Catch::StartsWith("attachment"));
}

TEST_CASE("http browser: traversal out of the snapshot is refused", "[daemon][http]") {
  HttpFixture h;
  write_file(h.f.dir / "secret", "root:x:0:0");
  const auto ids = h.snapshot_ids("01_node", 1);
  const std::string base = "/nodes/01_node/snapshots/" + ids.back();
  const std::string src = h.f.src;
  const std::vector<std::string> attempts = {
      base + "/..",
      base + "/../../../etc/passwd",
      base + src + "/../secret",
      base + src + "/%2e%2e/secret",
      base + src + "/%2E%2E/%2e%2e/etc/passwd",
      base + src + "/.%2e/secret",
      base + src + "/..%2fsecret",
      base + src + "%2f..%2fsecret",
      base + "/%2fetc%2fpasswd",
      base + "//etc/passwd",
      base + "/etc/passwd",
      base + h.f.dir.path() + "/secret",
      base + src + "/f1%00.txt",
      base + src + "/%5c..%5csecret",
      "/nodes/01_node/snapshots/..%2f..%2f" + ids.back() + "/",
      "/nodes/..%2f01_node/snapshots/" + ids.back() + "/",
      "/api" + base + src + "/%2e%2e/secret",
      "/nodes/01_node/snapshots/" + ids.back() + "/./" + src,
  };
  for (const auto& target : attempts) {
    const auto reply = http_get(h.port, target);
    INFO(target << " -> " << reply.status);
    CHECK((reply.status == 400 || reply.status == 404));
    CHECK_THAT(reply.body, !Catch::Contains("root:x"));
  }
  // And the daemon serves on.
  CHECK(http_get(h.port, base + src + "/f1").body == "file 1");
}
