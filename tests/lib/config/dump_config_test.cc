// The per-node "dumps" key (lib/config/dump_parse.h).
#include <catch2/catch.hpp>

#include "config/config.h"

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using nb::config::parse_config;

namespace {

std::string config_with_node(const std::string& extra) {
  return R"({"repository": "/r", "state_dir": "/s", "nodes": [{"id": "n", "type": "local",
             "paths": ["/etc"], )" +
         extra + "}]}";
}

std::string error_of(const std::string& text) {
  const auto config = parse_config(text, "/etc/nodebackup/config.json");
  REQUIRE_FALSE(config.has_value());
  return config.error().message();
}

}  // namespace

TEST_CASE("dumps are read in order, with a default timeout", "[config][dumps]") {
  const auto config =
      parse_config(config_with_node(R"("dumps": [{"name": "postgres.sql", "command": "pg_dumpall"},
                                    {"name": "ldap.ldif", "command": "slapcat -n 1",
                                     "timeout": "30m"}])"),
                   "c.json");
  REQUIRE(config);
  const auto& dumps = config->nodes[0].dumps;
  REQUIRE(dumps.size() == 2);
  CHECK(dumps[0].name == "postgres.sql");
  CHECK(dumps[0].command == "pg_dumpall");
  CHECK(dumps[0].timeout == 6h);
  CHECK(dumps[1].name == "ldap.ldif");
  CHECK(dumps[1].timeout == 30min);
  CHECK_THAT(nb::config::describe(*config), Contains("dump postgres.sql (timeout 6h): pg_dumpall"));
  // Absent: none.
  const auto none = parse_config(config_with_node(R"("exclude": [])"), "c.json");
  REQUIRE(none);
  CHECK(none->nodes[0].dumps.empty());
}

TEST_CASE("bad dumps are refused, naming the field", "[config][dumps]") {
  CHECK_THAT(error_of(config_with_node(R"("dumps": [{"name": "../x", "command": "c"}])")),
             Contains("nodes[0].dumps[0].name: must be a file name"));
  CHECK_THAT(error_of(config_with_node(R"("dumps": [{"name": "a/b", "command": "c"}])")),
             Contains("nodes[0].dumps[0].name"));
  CHECK_THAT(error_of(config_with_node(R"("dumps": [{"name": "..", "command": "c"}])")),
             Contains("nodes[0].dumps[0].name"));
  CHECK_THAT(error_of(config_with_node(R"("dumps": [{"name": "x"}])")),
             Contains("nodes[0].dumps[0].command: is required"));
  CHECK_THAT(error_of(config_with_node(R"("dumps": [{"name": "x", "command": ""}])")),
             Contains("nodes[0].dumps[0].command: must not be empty"));
  CHECK_THAT(error_of(config_with_node(
                 R"("dumps": [{"name": "x", "command": "a"}, {"name": "x", "command": "b"}])")),
             Contains("nodes[0].dumps[1].name: duplicate dump name \"x\""));
  CHECK_THAT(error_of(config_with_node(R"("dumps": [{"name": "x", "command": "a", "cmd": 1}])")),
             Contains("nodes[0].dumps[0]"));
  CHECK_THAT(error_of(config_with_node(R"("dumps": {"name": "x"})")),
             Contains("nodes[0].dumps: must be an array"));
  CHECK_THAT(
      error_of(config_with_node(R"("dumps": [{"name": "x", "command": "a", "timeout": "0s"}])")),
      Contains("nodes[0].dumps[0].timeout"));
}

TEST_CASE("a configured path inside the reserved dump root is refused", "[config][dumps]") {
  const auto text = [](const std::string& path) {
    return R"({"repository": "/r", "state_dir": "/s", "nodes": [{"id": "n", "type": "local",
               "paths": ["/etc", ")" +
           path + R"("]}]})";
  };
  CHECK_THAT(error_of(text("/.nodebackup-dumps")),
             Contains("nodes[0].paths[1]: /.nodebackup-dumps is reserved"));
  CHECK_THAT(error_of(text("/.nodebackup-dumps/x")), Contains("is reserved"));
  CHECK(parse_config(text("/.nodebackup-dumpsx"), "c.json"));
}
