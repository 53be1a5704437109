// Ping, mail and the operator's notify-test, against real servers on 127.0.0.1.
#include <catch2/catch.hpp>

#include <filesystem>

#include "daemon/daemon_fixture.h"
#include "support/script_server.h"

using namespace nb::test;
using json = nlohmann::json;

namespace {

json flaky_node(const DaemonFixture& f, const std::string& flag) {
  auto node = DaemonFixture::local_node("01_node", f.src, "1s");
  node["stale_after"] = "1h";
  node["hooks"] = {{"before", "test ! -e '" + flag + "'"}};
  return node;
}

std::function<bool(const json&)> path_is(const std::string& path) {
  return [path](const json& r) { return r["path"] == path; };
}

}  // namespace

TEST_CASE("notify: a ping target sees every run start, fail and succeed at the node's URLs",
          "[daemon][notify]") {
  HttpSink sink;
  DaemonFixture f;
  const std::string flag = f.dir / "fail";
  write_file(flag, "");
  f.write_config(
      flaky_node(f, flag),
      {{"notify", {{{"name", "hc"}, {"type", "ping"}, {"url", sink.url("/ping/{node}")}}}}});
  auto& d = f.start_ready();
  sink.wait_for(1, path_is("/ping/01_node/start"), "a start ping");
  const auto fails = sink.wait_for(1, path_is("/ping/01_node/fail"), "a fail ping");
  CHECK(fails[0]["method"] == "POST");
  CHECK_THAT(fails[0]["body"].get<std::string>(), Catch::Contains("before hook"));
  std::filesystem::remove(flag);
  const auto ok = sink.wait_for(1, path_is("/ping/01_node"), "a success ping");
  CHECK_THAT(ok[0]["body"].get<std::string>(), Catch::Contains("backup ok"));
  (void)d;
}

TEST_CASE("notify: mail over STARTTLS with AUTH from a password file", "[daemon][notify]") {
  SmtpSink smtp("nbmail", "s3cret pass");
  DaemonFixture f;
  const std::string flag = f.dir / "fail";
  write_file(flag, "");
  const std::string password = f.dir / "smtp.password";
  write_file(password, "s3cret pass\n");
  const json mail = {{"name", "mail"},
                     {"type", "email"},
                     {"url", "smtp://127.0.0.1:" + std::to_string(smtp.port())},
                     {"from", "nodebackup@example.org"},
                     {"to", {"ops@example.org", "oncall@example.org"}},
                     {"username", "nbmail"},
                     {"password_file", password},
                     {"ca_file", smtp.cert()}};
  f.write_config(flaky_node(f, flag), {{"notify", {mail}}});
  auto& d = f.start_ready();
  const auto messages = smtp.wait_for(
      1,
      [](const json& m) {
        return m["data"].get<std::string>().find("Subject: nodebackup 01_node: run failed") !=
               std::string::npos;
      },
      "a run_failed mail");
  const auto& m = messages[0];
  CHECK(m["tls"] == true);
  CHECK(m["user"] == "nbmail");
  CHECK(m["mail_from"] == "nodebackup@example.org");
  CHECK(m["rcpt_tos"] == json({"ops@example.org", "oncall@example.org"}));
  const auto data = m["data"].get<std::string>();
  CHECK_THAT(data, Catch::Contains("From: nodebackup@example.org"));
  CHECK_THAT(data, Catch::Contains("X-Nodebackup-Kind: run_failed"));
  CHECK_THAT(data, Catch::Contains("before hook"));
  // The password is read from its file, never shown.
  const auto status = d.request({{"command", "status"}});
  CHECK_THAT(status.dump(), !Catch::Contains("s3cret"));
  CHECK_THAT(d.log(), !Catch::Contains("s3cret"));
}

TEST_CASE("nodebackupctl notify-test sends a test event and reports each target's outcome",
          "[daemon][notify][ctl]") {
  HttpSink sink;
  DaemonFixture f;
  const json good = {{"name", "good"}, {"type", "webhook"}, {"url", sink.url("/good")}};
  const json refused = {
      {"name", "broken"}, {"type", "webhook"}, {"url", sink.url("/status/403/x")}, {"retries", 0}};
  f.write_config(DaemonFixture::local_node("01_node", f.src, "1h"), {{"notify", {good, refused}}});
  auto& d = f.start_ready();
  const auto all = f.ctl({"notify-test"});
  CHECK(all.exit_code == 1);
  CHECK_THAT(all.out, Catch::Contains("good: sent"));
  CHECK_THAT(all.out, Catch::Contains("broken: failed:"));
  CHECK_THAT(all.out, Catch::Contains("HTTP status 403"));
  const auto one = f.ctl({"notify-test", "good"});
  CHECK(one.exit_code == 0);
  CHECK(one.out == "good: sent\n");
  const auto tests = sink.wait_for(
      2,
      [](const json& r) {
        return r["path"] == "/good" && json::parse(r["body"].get<std::string>())["kind"] == "test";
      },
      "two test events");
  CHECK(json::parse(tests[0]["body"].get<std::string>())["severity"] == "info");
  const auto missing = f.ctl({"notify-test", "nosuch"});
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Catch::Contains("no notification target \"nosuch\""));
  const auto status = d.request({{"command", "status"}});
  CHECK(status["notify"][1]["failed"] == 1);
  CHECK_THAT(status["notify"][1]["last_error"].get<std::string>(),
             Catch::Contains("HTTP status 403"));
  const auto metrics = d.request({{"command", "metrics"}})["metrics"].get<std::string>();
  CHECK_THAT(metrics, Catch::Contains(
                          "nodebackup_notify_failed_total{target=\"broken\",type=\"webhook\"} 1"));
  CHECK_THAT(metrics,
             Catch::Contains("nodebackup_notify_sent_total{target=\"good\",type=\"webhook\"} 2"));
}

TEST_CASE("nodebackupctl status shows each notification target's health", "[daemon][notify][ctl]") {
  HttpSink sink;
  DaemonFixture f;
  f.write_config(
      DaemonFixture::local_node("01_node", f.src, "1h"),
      {{"notify", {{{"name", "ops"}, {"type", "webhook"}, {"url", sink.url("/events")}}}}});
  auto& d = f.start_ready();
  REQUIRE(f.ctl({"notify-test"}).exit_code == 0);
  const auto status = f.ctl({"status"});
  REQUIRE(status.exit_code == 0);
  CHECK_THAT(status.out, Catch::Contains("notify ops (webhook): last success 20"));
  CHECK_THAT(status.out, Catch::Contains("queued 0, dropped 0"));
  (void)d;
}
