// The alarms that watch time and space rather than a run: stale (no successful backup for
// too long, the daemon's own downtime included) and repository_space.
#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>

#include "daemon/daemon_fixture.h"
#include "support/script_server.h"
#include "util/clock.h"

using namespace nb::test;
using json = nlohmann::json;

namespace {

std::function<bool(const json&)> alarm_event(const std::string& kind, const std::string& alarm) {
  return [kind, alarm](const json& r) {
    const auto body = json::parse(r["body"].get<std::string>(), nullptr, false);
    return body.is_object() && body["kind"] == kind && body["alarm"] == alarm;
  };
}

json webhook(const HttpSink& sink) {
  return {{"name", "ops"}, {"type", "webhook"}, {"url", sink.url("/events")}};
}

bool has_alarm(const json& alarms, const std::string& kind) {
  for (const auto& a : alarms) {
    if (a["kind"] == kind) return true;
  }
  return false;
}

// A small tmpfs, unmounted when the test ends (tests run as root).
class Tmpfs {
 public:
  Tmpfs(const std::string& path, const std::string& size) : path_(path) {
    std::filesystem::create_directories(path);
    const auto r = run_process({"/bin/mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", path});
    if (r.exit_code != 0) throw std::runtime_error("mount tmpfs: " + r.err);
  }
  ~Tmpfs() { run_process({"/bin/umount", "-l", path_}); }

 private:
  std::string path_;
};

}  // namespace

TEST_CASE("alarm stale: raised at daemon start for a node whose last snapshot is too old",
          "[daemon][notify][alarm]") {
  HttpSink sink;
  DaemonFixture f;
  auto node = DaemonFixture::local_node("01_node", f.src, "1h");
  node["stale_after"] = "2s";
  f.write_config(node, {{"notify", {webhook(sink)}}});
  REQUIRE(run_process({NB_DAEMON_BIN, "-c", f.config, "--run-once"}).exit_code == 0);
  const int64_t backed_up = nb::now_ns();
  // The daemon is down for longer than the limit; the snapshot record is all it has.
  wait_until([&] { return nb::now_ns() - backed_up > 3'000'000'000; }, "the snapshot to age");
  auto& d = f.start_ready();
  // Not due for an hour, so no run hides it: the alarm stands from the first status on.
  const auto status = d.request({{"command", "status"}});
  const auto entry = DaemonProcess::node(status, "01_node");
  CHECK(entry["last_run"]["source"] == "snapshot");
  REQUIRE(has_alarm(entry["alarms"], "stale"));
  const auto raised = sink.wait_for(1, alarm_event("alarm_raised", "stale"), "stale raised");
  const auto event = json::parse(raised[0]["body"].get<std::string>());
  CHECK(event["severity"] == "error");
  CHECK(event["node"] == "01_node");
  CHECK_THAT(event["summary"].get<std::string>(), Catch::Contains("last successful backup"));
  CHECK_THAT(d.log(), Catch::Contains("01_node: alarm stale"));
  CHECK_THAT(f.ctl({"status"}).out, Catch::Contains("01_node: alarm stale since "));
  const auto metrics = d.request({{"command", "metrics"}})["metrics"].get<std::string>();
  CHECK_THAT(metrics, Catch::Contains("nodebackup_alarm{node=\"01_node\",kind=\"stale\"} 1"));
  // A successful run clears it.
  REQUIRE(f.ctl({"run", "01_node", "--wait"}).exit_code == 0);
  sink.wait_for(1, alarm_event("alarm_cleared", "stale"), "stale cleared");
}

TEST_CASE("alarm stale: a node that never succeeds goes stale while the daemon runs",
          "[daemon][notify][alarm]") {
  HttpSink sink;
  DaemonFixture f;
  auto node = DaemonFixture::local_node("01_node", f.src, "1s");
  node["stale_after"] = "2s";
  node["hooks"] = {{"before", "exit 1"}};
  json often = {
      {"name", "often"}, {"type", "webhook"}, {"url", sink.url("/often")}, {"renotify", "1s"}};
  f.write_config(node, {{"notify", {webhook(sink), often}}});
  auto& d = f.start_ready();
  const auto raised = sink.wait_for(1, alarm_event("alarm_raised", "stale"), "stale raised");
  CHECK_THAT(raised[0]["body"].get<std::string>(), Catch::Contains("never backed up since"));
  // A target with renotify 1s is told again while it stands; the default (1d) is not.
  const auto repeats = sink.wait_for(
      3,
      [](const json& r) {
        const auto body = json::parse(r["body"].get<std::string>());
        return r["path"] == "/often" && body["alarm"] == "stale" && body["repeat"] == true;
      },
      "repeated stale events");
  size_t once = 0;
  for (const auto& r : sink.records()) {
    once += r["path"] == "/events" && alarm_event("alarm_raised", "stale")(r) ? 1 : 0;
  }
  CHECK(once == 1);
  (void)d;
}

TEST_CASE(
    "alarm repository_space: raised when the repository's filesystem runs low, cleared "
    "when space is freed",
    "[daemon][notify][alarm]") {
  HttpSink sink;
  DaemonFixture f;
  const std::string mount = f.dir / "fs";
  Tmpfs tmpfs(mount, "16m");
  f.write_config(DaemonFixture::local_node("01_node", f.src, "1h"),
                 {{"repository", mount + "/repo"},
                  {"repository_space", {{"min_free_percent", 50}, {"check_interval", "1s"}}},
                  {"notify", {webhook(sink)}}});
  auto& d = f.start_ready();
  write_file(mount + "/filler", random_bytes(10 << 20, 1));
  const auto raised =
      sink.wait_for(1, alarm_event("alarm_raised", "repository_space"), "repository_space raised");
  const auto event = json::parse(raised[0]["body"].get<std::string>());
  CHECK(event["node"].is_null());
  CHECK(event["severity"] == "error");
  CHECK_THAT(event["summary"].get<std::string>(), Catch::Contains("below min_free_percent 50%"));
  const auto status = d.wait_status(
      [](const json& s) { return has_alarm(s["repository"]["alarms"], "repository_space"); });
  CHECK(status["repository"]["free_bytes"].get<uint64_t>() < 8u << 20);
  const auto metrics = d.request({{"command", "metrics"}})["metrics"].get<std::string>();
  CHECK_THAT(metrics, Catch::Contains("nodebackup_repository_alarm{kind=\"repository_space\"} 1"));
  CHECK_THAT(f.ctl({"status"}).out, Catch::Contains("repository: alarm repository_space since "));
  std::filesystem::remove(mount + "/filler");
  sink.wait_for(1, alarm_event("alarm_cleared", "repository_space"), "repository_space cleared");
  d.signal(SIGTERM);
  CHECK(d.wait_exit() == 0);
}
