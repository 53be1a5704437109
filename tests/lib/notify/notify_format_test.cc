// Events as each kind of target receives them, and which targets receive which events.
#include <catch2/catch.hpp>

#include "config/config.h"
#include "notify/event.h"
#include "notify/format.h"
#include "notify/match.h"

using namespace nb;
using json = nlohmann::json;

namespace {

notify::Event failed_event() {
  notify::Event e;
  e.kind = notify::kRunFailed;
  e.severity = config::Severity::error;
  e.node = "02_node";
  e.summary = "02_node: 3 runs in a row failed: connect refused";
  e.error = "connect refused\r\nBcc: evil@example.org";
  e.counts = {{"scanned", 10}};
  e.consecutive_failures = 3;
  e.time_ns = 1'764'000'000'000'000'000;
  e.host = "backup1";
  return e;
}

config::NotifyTarget target(config::NotifyType type) {
  config::NotifyTarget t;
  t.name = "t";
  t.type = type;
  t.url = "https://hc-ping.com/KEY/{node}";
  t.start_url = t.url + "/start";
  t.fail_url = t.url + "/fail";
  t.from = "nodebackup@example.org";
  t.to = {"ops@example.org"};
  return t;
}

}  // namespace

TEST_CASE("notify: the JSON event has the documented fields", "[notify]") {
  const auto j = notify::to_json(failed_event());
  CHECK(j["version"] == 1);
  CHECK(j["kind"] == "run_failed");
  CHECK(j["severity"] == "error");
  CHECK(j["node"] == "02_node");
  CHECK(j["host"] == "backup1");
  CHECK(j["alarm"].is_null());
  CHECK(j["counts"]["scanned"] == 10);
  CHECK(j["consecutive_failures"] == 3);
  CHECK(j["time"] == "2025-11-24T16:00:00Z");
}

TEST_CASE("notify: webhook formats for ntfy, Slack and Gotify", "[notify]") {
  const auto e = failed_event();
  const auto ntfy = notify::webhook_body(config::WebhookFormat::ntfy, e);
  CHECK(ntfy.content_type.starts_with("text/plain"));
  CHECK_THAT(ntfy.body, Catch::Contains("3 runs in a row failed"));
  CHECK(std::find(ntfy.headers.begin(), ntfy.headers.end(),
                  "Title: nodebackup 02_node: run failed") != ntfy.headers.end());
  CHECK(std::find(ntfy.headers.begin(), ntfy.headers.end(), "Priority: high") !=
        ntfy.headers.end());
  const auto slack = json::parse(notify::webhook_body(config::WebhookFormat::slack, e).body);
  CHECK_THAT(slack["text"].get<std::string>(), Catch::Contains("02_node"));
  const auto gotify = json::parse(notify::webhook_body(config::WebhookFormat::gotify, e).body);
  CHECK(gotify["priority"] == 8);
  CHECK(gotify["title"] == "nodebackup 02_node: run failed");
}

TEST_CASE("notify: a mail message cannot be given extra headers by an event", "[notify]") {
  auto e = failed_event();
  e.node = "02_node";
  e.summary = "line one\r\nBcc: evil@example.org";
  const auto message = notify::mail_message(target(config::NotifyType::email), e);
  const auto headers = message.substr(0, message.find("\r\n\r\n"));
  CHECK_THAT(headers, !Catch::Contains("Bcc:"));
  CHECK_THAT(headers, Catch::Contains("Subject: nodebackup 02_node: run failed\r\n"));
  CHECK_THAT(headers, Catch::Contains("To: ops@example.org\r\n"));
  CHECK_THAT(headers, Catch::Contains("Date: Mon, 24 Nov 2025 16:00:00 +0000\r\n"));
  // Every line ends in CRLF, as SMTP requires.
  for (size_t at = message.find('\n'); at != std::string::npos; at = message.find('\n', at + 1)) {
    REQUIRE(at > 0);
    REQUIRE(message[at - 1] == '\r');
  }
}

TEST_CASE("notify: matchers select by severity, kind and node", "[notify]") {
  auto t = target(config::NotifyType::webhook);
  auto e = failed_event();
  CHECK(notify::matches(t, e));
  auto started = e;
  started.kind = notify::kRunStarted;
  started.severity = config::Severity::info;
  CHECK_FALSE(notify::matches(t, started));  // per-run events only when asked for
  t.match.min_severity = config::Severity::error;
  auto cleared = e;
  cleared.kind = notify::kAlarmCleared;
  cleared.alarm = "stale";
  cleared.severity = config::Severity::info;
  CHECK_FALSE(notify::matches(t, cleared));
  t.match.min_severity = config::Severity::info;
  t.match.kinds = {"stale"};
  CHECK(notify::matches(t, cleared));
  CHECK_FALSE(notify::matches(t, e));
  t.match.kinds = {};
  t.match.nodes = {"01_node"};
  CHECK_FALSE(notify::matches(t, e));
  auto test = e;
  test.kind = notify::kTest;
  CHECK(notify::matches(t, test));  // a test goes where the operator sends it
}

TEST_CASE("notify: ping targets see every run at its node's URLs", "[notify]") {
  const auto t = target(config::NotifyType::ping);
  auto e = failed_event();
  CHECK_FALSE(notify::matches(t, e));
  e.kind = notify::kRunStarted;
  CHECK(notify::matches(t, e));
  CHECK(notify::ping_url(t, e) == "https://hc-ping.com/KEY/02_node/start");
  e.kind = notify::kRunFinished;
  e.ok = true;
  CHECK(notify::ping_url(t, e) == "https://hc-ping.com/KEY/02_node");
  e.ok = false;
  CHECK(notify::ping_url(t, e) == "https://hc-ping.com/KEY/02_node/fail");
  e.kind = notify::kTest;
  CHECK(notify::ping_url(t, e) == "https://hc-ping.com/KEY/02_node/log");
}

TEST_CASE("notify: a command target's environment", "[notify]") {
  const auto env = notify::command_environment(failed_event());
  CHECK(std::find(env.begin(), env.end(), "NB_EVENT_KIND=run_failed") != env.end());
  CHECK(std::find(env.begin(), env.end(), "NB_EVENT_NODE=02_node") != env.end());
  // One line per variable, whatever the error said.
  CHECK(std::find(env.begin(), env.end(),
                  "NB_EVENT_ERROR=connect refused  Bcc: evil@example.org") != env.end());
}

TEST_CASE("notify: copy events name their target and are matchable by kind", "[notify][copy]") {
  notify::Event e;
  e.kind = notify::kCopyFailed;
  e.severity = config::Severity::error;
  e.copy_to = "s3://offsite/fleet";
  e.summary = "copy to s3://offsite/fleet failed: connection refused";
  e.error = "connection refused";
  e.consecutive_failures = 1;
  e.host = "backup1";
  const auto j = notify::to_json(e);
  CHECK(j["kind"] == "copy_failed");
  CHECK(j["copy_to"] == "s3://offsite/fleet");
  CHECK(j["node"].is_null());
  CHECK(notify::title(e) == "nodebackup backup1: copy failed");
  CHECK_FALSE(notify::to_json(failed_event()).contains("copy_to"));

  auto t = target(config::NotifyType::webhook);
  CHECK(notify::matches(t, e));  // a state change: every target hears of it by default
  t.match.kinds = {"copy_failed", "copy_recovered"};
  CHECK(notify::matches(t, e));
  CHECK_FALSE(notify::matches(t, failed_event()));
  t.match.kinds = {"run_failed"};
  CHECK_FALSE(notify::matches(t, e));
  CHECK_FALSE(notify::matches(target(config::NotifyType::ping), e));
}
