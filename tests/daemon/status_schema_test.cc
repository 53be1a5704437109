// The status reply's schema: what nodebackupd writes, nodebackupctl reads back unchanged, and
// a reply of the wrong shape is refused naming the field.
#include <catch2/catch.hpp>

#include "common/status_schema.h"

using namespace nb;

namespace {

status::Copy copy_sample() {
  return {.to = "s3://offsite/fleet",
          .node = "02_node",
          .state = "failing",
          .interval_s = 21600,
          .next_run = "2026-12-01T10:01:00Z",
          .last_success = "2026-11-30T10:00:00Z",
          .consecutive_failures = 1,
          .last_run = status::CopyRun{.ok = false,
                                      .started = "2026-12-01T10:00:00Z",
                                      .finished = "2026-12-01T10:00:30Z",
                                      .result = "failed",
                                      .error = "connect refused",
                                      .snapshots_copied = 0,
                                      .snapshots_present = 0,
                                      .blobs_copied = 0,
                                      .bytes_copied = 0}};
}

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
          .nodes = {node},
          .copies = {copy_sample()}};
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
  CHECK(json["copies"][0]["to"] == "s3://offsite/fleet");
  CHECK(json["copies"][0]["last_run"]["error"] == "connect refused");
  CHECK(back->copies.at(0).node == "02_node");
}

TEST_CASE("status schema: copies are optional, and checked when present", "[status][copy]") {
  auto json = status::to_json(sample());
  json.erase("copies");  // a daemon from before scheduled copies
  auto back = status::report_from_json(json);
  REQUIRE(back);
  CHECK(back->copies.empty());
  json = status::to_json(sample());
  json["copies"][0]["last_run"]["blobs_copied"] = -1;
  auto bad = status::report_from_json(json);
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message(), Catch::Contains("status.copies[0].last_run.blobs_copied"));
  json = status::to_json(sample());
  json["copies"][0]["node"] = nullptr;
  json["copies"][0]["last_run"] = nullptr;
  back = status::report_from_json(json);
  REQUIRE(back);
  CHECK_FALSE(back->copies.at(0).node);
  CHECK_FALSE(back->copies.at(0).last_run);
  json["copies"] = "none";
  CHECK_FALSE(status::report_from_json(json));
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
