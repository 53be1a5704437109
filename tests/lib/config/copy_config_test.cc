// The "copy" array: scheduled off-site copies, checked against the rest of the config, with
// errors that name the element and the key.
#include <catch2/catch.hpp>

#include <string>

#include "config/config.h"

namespace {

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using nb::config::parse_config;

const std::string kSource = "/etc/nodebackup/config.json";
const std::string kS3 =
    R"("s3": {"endpoint": "http://127.0.0.1:7480", "credentials_file": "/etc/nb/s3"}, )";

std::string config_with(const std::string& copies, const std::string& top_level = "",
                        const std::string& repository = "/var/lib/nodebackup/repo") {
  return R"({"repository": ")" + repository + R"(", "state_dir": "/s", )" + top_level +
         R"("copy": )" + copies +
         R"(, "nodes": [{"id": "01_node", "type": "local", "paths": ["/etc"]},
                        {"id": "02_node", "type": "local", "paths": ["/srv"]}]})";
}

std::string error_of(const std::string& text) {
  const auto config = parse_config(text, kSource);
  REQUIRE_FALSE(config.has_value());
  CHECK(config.error().kind() == nb::ErrorKind::config);
  return config.error().message();
}

// The message names the file, then the field, then the problem.
void check_error(const std::string& text, const std::string& field, const std::string& problem) {
  const auto message = error_of(text);
  CHECK_THAT(message, StartsWith("config " + kSource + ": " + field + ": "));
  CHECK_THAT(message, Contains(problem));
}

}  // namespace

TEST_CASE("copy targets parse with their defaults", "[config][copy]") {
  const auto config = parse_config(config_with(R"([{"to": "/mnt/offsite/repo/", "interval": "1d"},
                      {"to": "s3://bucket/prefix", "interval": "6h", "node": "02_node"},
                      {"to": "/mnt/usb"}])",
                                               kS3),
                                   kSource);
  REQUIRE(config);
  REQUIRE(config->copies.size() == 3);
  CHECK(config->copies[0].to == "/mnt/offsite/repo");  // normalised as every path
  CHECK(config->copies[0].interval == 24h);
  CHECK(config->copies[0].node.empty());
  CHECK(config->copies[0].name() == "/mnt/offsite/repo");
  CHECK(config->copies[1].to == "s3://bucket/prefix");
  CHECK(config->copies[1].interval == 6h);
  CHECK(config->copies[1].node == "02_node");
  CHECK(config->copies[1].name() == "s3://bucket/prefix (02_node)");
  CHECK(config->copies[2].interval == 24h);
  const auto text = nb::config::describe(*config);
  CHECK_THAT(text, Contains("copy (3):"));
  CHECK_THAT(text, Contains("s3://bucket/prefix: node 02_node, every 6h"));
  CHECK_THAT(text, Contains("/mnt/usb: every node, every 1d"));

  const auto none = parse_config(
      R"({"repository": "/r", "state_dir": "/s", "nodes": [{"id": "n", "type": "local", "paths": ["/etc"]}]})",
      kSource);
  REQUIRE(none);
  CHECK(none->copies.empty());
}

TEST_CASE("copy targets: bad input names the element and the key", "[config][copy]") {
  check_error(config_with(R"({"to": "/x"})"), "copy", "must be an array");
  check_error(config_with(R"(["/x"])"), "copy[0]", "must be an object");
  check_error(config_with(R"([{"to": "/x", "colour": "blue"}])"), "copy[0].colour", "unknown key");
  check_error(config_with(R"([{"interval": "1d"}])"), "copy[0].to", "is required");
  check_error(config_with(R"([{"to": ""}])"), "copy[0].to", "must not be empty");
  check_error(config_with(R"([{"to": "offsite"}])"), "copy[0].to", "absolute");
  check_error(config_with(R"([{"to": 7}])"), "copy[0].to", "string");
  check_error(config_with(R"([{"to": "/x"}, {"to": "/y", "interval": "1x"}])"), "copy[1].interval",
              "\"1x\" is not a duration");
  check_error(config_with(R"([{"to": "/x", "interval": "0s"}])"), "copy[0].interval", "");
  check_error(config_with(R"([{"to": "/x", "node": "03_node"}])"), "copy[0].node",
              "no node \"03_node\" is configured");
  check_error(config_with(R"([{"to": "/x", "node": "../n"}])"), "copy[0].node", "characters");
  check_error(config_with(R"([{"to": "/x"}, {"to": "/x/", "interval": "1h"}])"), "copy[1].to",
              "duplicate copy to \"/x\" (also copy[0])");
  // The same target for different nodes is two copies.
  CHECK(parse_config(config_with(R"([{"to": "/x", "node": "01_node"}, {"to": "/x"}])"), kSource));
}

TEST_CASE("a copy target may not be the repository, inside it, or hold it", "[config][copy]") {
  check_error(config_with(R"([{"to": "/var/lib/nodebackup/repo"}])"), "copy[0].to",
              "must not be the repository (/var/lib/nodebackup/repo)");
  check_error(config_with(R"([{"to": "/var/lib/nodebackup/repo/offsite"}])"), "copy[0].to",
              "must not be the repository");
  check_error(config_with(R"([{"to": "/var/lib/nodebackup"}])"), "copy[0].to",
              "must not hold the repository");
  // A sibling whose name merely starts alike is another place.
  CHECK(parse_config(config_with(R"([{"to": "/var/lib/nodebackup/repo2"}])"), kSource));
  check_error(config_with(R"([{"to": "s3://bucket/prefix/"}])", kS3, "s3://bucket/prefix"),
              "copy[0].to", "must not be the repository");
  CHECK(parse_config(config_with(R"([{"to": "s3://bucket/prefix2"}])", kS3, "s3://bucket/prefix"),
                     kSource));
}

TEST_CASE("an s3:// copy target needs the s3 object", "[config][copy]") {
  check_error(config_with(R"([{"to": "s3://bucket/offsite"}])"), "copy[0].to",
              "needs the \"s3\" object");
  check_error(config_with(R"([{"to": "s3://B/offsite"}])", kS3), "copy[0].to", "bucket name");
}

TEST_CASE("a notify matcher may name the copy events", "[config][copy][notify]") {
  const auto config =
      parse_config(config_with(R"([{"to": "/mnt/offsite"}])",
                               R"("notify": [{"name": "ops", "type": "webhook", "url": "https://x",
                     "match": {"kinds": ["copy_failed", "copy_recovered"]}}], )"),
                   kSource);
  REQUIRE(config);
  CHECK(config->notify[0].match.kinds == std::vector<std::string>{"copy_failed", "copy_recovered"});
}
