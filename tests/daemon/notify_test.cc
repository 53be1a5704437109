// The daemon tells the operator (DESIGN §9 "Being told"): events reach real servers on
// 127.0.0.1, once per change of state, and a target that hangs or refuses delays neither the
// backups nor the other targets.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>

#include "daemon/daemon_fixture.h"
#include "store/hash_store.h"
#include "support/script_server.h"

using namespace nb::test;
using json = nlohmann::json;

namespace {

json webhook(const std::string& name, const std::string& url, json extra = json::object()) {
  json target = {{"name", name}, {"type", "webhook"}, {"url", url}, {"timeout", "5s"}};
  target.update(extra);
  return target;
}

std::function<bool(const json&)> event_kind(const std::string& kind) {
  return [kind](const json& r) {
    const auto body = json::parse(r["body"].get<std::string>(), nullptr, false);
    return !body.is_discarded() && body.is_object() && body["kind"] == kind;
  };
}

json body_of(const json& record) {
  return json::parse(record["body"].get<std::string>());
}

size_t count_kind(const ScriptServer& sink, const std::string& kind) {
  size_t n = 0;
  for (const auto& r : sink.records()) n += event_kind(kind)(r) ? 1 : 0;
  return n;
}

// A node whose `before` hook fails while `flag` exists: failing and recovering on demand.
json flaky_node(const DaemonFixture& f, const std::string& flag, int failures_before_notify) {
  auto node = DaemonFixture::local_node("01_node", f.src, "1s");
  node["failures_before_notify"] = failures_before_notify;
  node["stale_after"] = "1h";
  node["hooks"] = {{"before", "test ! -e '" + flag + "'"}};
  return node;
}

// A port nothing listens on: bound, then closed, so connections to it are refused.
int unused_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

TEST_CASE("notify: one run_failed after failures_before_notify failures, one run_recovered",
          "[daemon][notify]") {
  HttpSink sink;
  DaemonFixture f;
  const std::string flag = f.dir / "fail";
  write_file(flag, "");
  f.write_config(flaky_node(f, flag, 3), {{"notify", {webhook("ops", sink.url("/events"))}}});
  auto& d = f.start_ready();
  d.wait_status([](const json& s) {
    return DaemonProcess::node(s, "01_node")["consecutive_failures"].get<int>() >= 5;
  });
  const auto failed = sink.wait_for(1, event_kind("run_failed"), "a run_failed event");
  const auto event = body_of(failed[0]);
  CHECK(event["node"] == "01_node");
  CHECK(event["severity"] == "error");
  CHECK(event["consecutive_failures"] == 3);
  CHECK_THAT(event["error"].get<std::string>(), Catch::Contains("before hook"));
  CHECK(event["version"] == 1);
  CHECK(event["time"].is_string());
  CHECK(failed[0]["headers"]["content-type"] == "application/json");

  std::filesystem::remove(flag);
  sink.wait_for(1, event_kind("run_recovered"), "a run_recovered event");
  wait_for_runs(d, "01_node", 3);
  // Two more runs after the recovery, five failures in all: still one of each.
  CHECK(count_kind(sink, "run_failed") == 1);
  CHECK(count_kind(sink, "run_recovered") == 1);
  const auto status = d.request({{"command", "status"}});
  REQUIRE(status["notify"].size() == 1);
  CHECK(status["notify"][0]["name"] == "ops");
  CHECK(status["notify"][0]["last_success"].is_string());
  CHECK(status["notify"][0]["last_error"].is_null());
}

TEST_CASE("notify: a hanging and a refusing target delay no backup and no other target",
          "[daemon][notify]") {
  HttpSink sink;
  const std::string refused = "http://127.0.0.1:" + std::to_string(unused_port()) + "/events";
  DaemonFixture f;
  const json every_run = {{"match", {{"kinds", {"run_finished"}}}}};
  auto hang = webhook("hang", sink.url("/hang/events"), every_run);
  hang["timeout"] = "1h";
  hang["queue_limit"] = 2;
  f.write_config(DaemonFixture::local_node("01_node", f.src, "1s"),
                 {{"notify",
                   {hang, webhook("refuse", refused, every_run),
                    webhook("good", sink.url("/good"), every_run)}}});
  auto& d = f.start_ready();
  // The hung target holds its first event for an hour; runs and the good target go on.
  wait_for_runs(d, "01_node", 4);
  sink.wait_for(
      4, [](const json& r) { return r["path"] == "/good" && event_kind("run_finished")(r); },
      "four run_finished events at the good target");
  const auto status = d.wait_status([](const json& s) {
    return !s["notify"][1]["last_error"].is_null() && s["notify"][0]["dropped"].get<int>() >= 1;
  });
  // One event held by the hung request, two waiting, the rest dropped, counted and logged.
  CHECK(status["notify"][0]["queued"] == 3);
  d.wait_for_log("notify hang: queue full; dropped run_");
  CHECK(status["notify"][0]["name"] == "hang");
  CHECK(status["notify"][0]["sent"] == 0);
  CHECK(status["notify"][1]["name"] == "refuse");
  CHECK_THAT(status["notify"][1]["last_error"].get<std::string>(), Catch::Contains("127.0.0.1"));
  CHECK(status["notify"][2]["last_error"].is_null());
  const auto metrics = d.request({{"command", "metrics"}})["metrics"].get<std::string>();
  CHECK_THAT(metrics, Catch::Contains("nodebackup_notify_queue_length{target=\"hang\""));
  // Stopping does not wait for the hung target beyond its short drain.
  d.signal(SIGTERM);
  CHECK(d.wait_exit() == 0);
}

TEST_CASE("notify: alarms are sent when raised and when cleared", "[daemon][notify][alarm]") {
  HttpSink sink;
  DaemonFixture f;
  f.write_config(DaemonFixture::local_node("01_node", f.src, "1h"),
                 {{"notify", {webhook("ops", sink.url("/events"))}}});
  REQUIRE(run_process({NB_DAEMON_BIN, "-c", f.config, "--run-once"}).exit_code == 0);
  json legacy = json::object();
  for (int i = 0; i < 5; ++i) legacy["01_node"][f.src + "/f" + std::to_string(i)] = "MISSING";
  write_file(f.state + "/" + nb::store::HashStore::kFileName, legacy.dump());
  std::filesystem::remove(f.state + "/" + nb::store::HashStore::kFileName +
                          nb::store::HashStore::kPreviousSuffix);
  auto& d = f.start_ready();
  const auto raised = sink.wait_for(1, event_kind("alarm_raised"), "alarm_raised");
  const auto event = body_of(raised[0]);
  CHECK(event["alarm"] == "store_untrusted");
  CHECK(event["severity"] == "warning");
  CHECK(event["counts"]["count"] == 5);
  CHECK(event["examples"].size() == 5);
  REQUIRE(f.ctl({"run", "01_node", "--wait"}).exit_code == 0);
  const auto cleared = sink.wait_for(1, event_kind("alarm_cleared"), "alarm_cleared");
  CHECK(body_of(cleared[0])["alarm"] == "store_untrusted");
  CHECK(body_of(cleared[0])["severity"] == "info");
  CHECK(count_kind(sink, "alarm_raised") == 1);
  (void)d;
}

TEST_CASE("notify: a command target gets the event in its environment and on stdin",
          "[daemon][notify]") {
  DaemonFixture f;
  const std::string flag = f.dir / "fail";
  write_file(flag, "");
  const std::string out = f.dir / "out";
  const json command = {{"name", "script"},
                        {"type", "command"},
                        {"command",
                         {"/bin/sh", "-c",
                          "env | grep ^NB_EVENT_ | sort > '" + out + ".env'; cat > '" + out +
                              ".tmp'; mv '" + out + ".tmp' '" + out + "'"}}};
  f.write_config(flaky_node(f, flag, 1), {{"notify", {command}}});
  auto& d = f.start_ready();
  wait_until([&] { return std::filesystem::exists(out); }, "the command's output");
  const auto event = json::parse(read_whole(out));
  CHECK(event["kind"] == "run_failed");
  CHECK(event["node"] == "01_node");
  const auto env = read_whole(out + ".env");
  CHECK_THAT(env, Catch::Contains("NB_EVENT_KIND=run_failed"));
  CHECK_THAT(env, Catch::Contains("NB_EVENT_NODE=01_node"));
  CHECK_THAT(env, Catch::Contains("NB_EVENT_SEVERITY=error"));
  (void)d;
}
