// The status reply's schema: what nodebackupd writes, nodebackupctl reads back unchanged, and
// a reply of the wrong shape is refused naming the field.
#include <catch2/catch.hpp>

#include "common/status_schema.h"

using namespace nb;

namespace {

status::Report sample() {
  status::Run run{.ok = false,
                  .started = "2026-12-01T10:00:00Z",
                  .finished = "2026-12-01T10:00:05Z",
                  .result = "failed",
                  .error = "authenticate 02_node: refused",
                  .failure = "permanent",
                  .source = std::nullopt,
                  .snapshot = "",
                  .counts = {}};
  run.counts.scanned = 7;
  status::Node node{
      .id = "02_node",
      .type = "ssh",
      .state = "failing",
      .next_run = "2026-12-01T12:00:00Z",
      .last_success = std::nullopt,
      .interval_s = 7200,
      .consecutive_failures = 3,
      .runs_ok = 1,
      .runs_failed = 3,
      .alarms = {{"store_untrusted", 2, {"/etc/a", "/etc/b"}, "2026-12-01T09:00:00Z"}},
      .last_run = run,
      .progress = std::nullopt,
      .cannot_capture = "hard links, extended attributes (ACLs, file capabilities)"};
  return {.version = "0.1.0",
          .pid = 42,
          .uptime_s = 3600,
          .config = "/etc/nodebackup/config.json",
          .store = {.entries = 10, .missing = 2, .dirty = true, .last_snapshot = std::nullopt},
          .running = 0,
          .nodes = {node}};
}

}  // namespace

TEST_CASE("status schema: a report survives the round trip through JSON", "[status]") {
  const auto json = status::to_json(sample());
  CHECK(json["ok"] == true);
  CHECK(json["nodes"][0]["runs"]["failed"] == 3);
  CHECK(json["nodes"][0]["last_run"]["failure"] == "permanent");
  CHECK(json["nodes"][0]["last_run"]["scanned"] == 7);
  CHECK(json["store"]["last_snapshot"].is_null());
  const auto back = status::report_from_json(json);
  REQUIRE(back);
  CHECK(status::to_json(*back) == json);
  CHECK(back->nodes.at(0).alarms.at(0).examples.at(1) == "/etc/b");
}

TEST_CASE("status schema: a reply of the wrong shape names the field", "[status]") {
  auto json = status::to_json(sample());
  json["nodes"][0]["consecutive_failures"] = "three";
  auto bad = status::report_from_json(json);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind() == ErrorKind::protocol);
  CHECK_THAT(bad.error().message(), Catch::Contains("status.nodes[0].consecutive_failures"));
  json = status::to_json(sample());
  json["nodes"][0]["last_run"].erase("result");
  bad = status::report_from_json(json);
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message(), Catch::Contains("status.nodes[0].last_run.result"));
  CHECK_FALSE(status::report_from_json(nlohmann::json::array()));
  // Out of range or mistyped numbers are errors too, never an exception or a wrapped value.
  json = status::to_json(sample());
  json["nodes"][0]["consecutive_failures"] = 99999999999;
  bad = status::report_from_json(json);
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message(), Catch::Contains("consecutive_failures"));
  json = status::to_json(sample());
  json["nodes"][0]["last_run"]["scanned"] = "seven";
  bad = status::report_from_json(json);
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message(), Catch::Contains("status.nodes[0].last_run.counts"));
}
