// The notification side of the config: targets, matchers, the repository_space alarm and the
// per-node notification and hook settings, with errors that name the field.
#include <catch2/catch.hpp>

#include <string>

#include "config/config.h"

namespace {

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using nb::config::parse_config;

const std::string kSource = "/etc/nodebackup/config.json";

std::string config_with(
    const std::string& top_level,
    const std::string& node = R"({"id": "n", "type": "local", "paths": ["/etc"]})") {
  return R"({"repository": "/r", "state_dir": "/s", )" + top_level + R"("nodes": [)" + node + "]}";
}

std::string error_of(const std::string& text) {
  const auto config = parse_config(text, kSource);
  REQUIRE_FALSE(config.has_value());
  return config.error().message();
}

}  // namespace

TEST_CASE("notify targets of every type parse with their defaults", "[config][notify]") {
  const auto config = parse_config(config_with(R"("notify": [
    {"name": "ntfy", "type": "webhook", "url": "https://ntfy.sh/backups", "format": "ntfy",
     "headers_file": "/etc/nodebackup/ntfy.headers",
     "match": {"severity": "warning", "kinds": ["run_failed", "stale"], "nodes": ["n"]}},
    {"name": "hc", "type": "ping", "url": "https://hc-ping.com/KEY/{node}"},
    {"name": "mail", "type": "email", "url": "smtp://mail.example.org:587",
     "from": "nodebackup@example.org", "to": ["ops@example.org"], "username": "nb",
     "password_file": "/etc/nodebackup/smtp.password", "timeout": "30s", "retries": 5,
     "renotify": "0s", "queue_limit": 10},
    {"name": "script", "type": "command", "command": ["/usr/local/bin/page", "--now"]}],
    "repository_space": {"min_free": "10G", "days_left": 7},)"),
                                   kSource);
  REQUIRE(config.has_value());
  REQUIRE(config->notify.size() == 4);
  const auto& ntfy = config->notify[0];
  CHECK(ntfy.type == nb::config::NotifyType::webhook);
  CHECK(ntfy.format == nb::config::WebhookFormat::ntfy);
  CHECK(ntfy.match.min_severity == nb::config::Severity::warning);
  CHECK(ntfy.match.kinds == std::vector<std::string>{"run_failed", "stale"});
  CHECK(ntfy.timeout == 10s);
  CHECK(ntfy.retries == 3);
  CHECK(ntfy.renotify == 24h);
  const auto& hc = config->notify[1];
  CHECK(hc.start_url == "https://hc-ping.com/KEY/{node}/start");
  CHECK(hc.fail_url == "https://hc-ping.com/KEY/{node}/fail");
  const auto& mail = config->notify[2];
  CHECK(mail.starttls);
  CHECK(mail.username == "nb");
  CHECK(mail.renotify == 0s);
  CHECK(mail.retries == 5);
  CHECK(config->notify[3].command == std::vector<std::string>{"/usr/local/bin/page", "--now"});
  REQUIRE(config->repository_space);
  CHECK(config->repository_space->min_free_bytes == 10ull << 30);
  CHECK(config->repository_space->days_left == 7);
  CHECK(config->find_target("hc") == &config->notify[1]);
  CHECK_THAT(nb::config::describe(*config), Contains("hc: ping https://hc-ping.com/KEY/{node}"));
}

TEST_CASE("bad notify targets name the field", "[config][notify]") {
  CHECK(error_of(config_with(R"("notify": [{"name": "a", "type": "webhook", "url": "https://x"},
      {"name": "b", "type": "webhook", "url": "ftp://x"}],)")) ==
        "config " + kSource +
            ": notify[1].url: must be a URL starting with \"http\" or \"https\" and naming a host");
  CHECK_THAT(error_of(config_with(R"("notify": [{"name": "a", "type": "pager"}],)")),
             Contains("notify[0].type: must be \"webhook\", \"email\", \"ping\" or \"command\""));
  CHECK_THAT(error_of(config_with(R"("notify": [{"name": "a", "url": "https://x"}],)")),
             Contains("notify[0].type: is required"));
  CHECK_THAT(
      error_of(config_with(R"("notify": [{"name": "a", "type": "webhook", "url": "https://x"},
      {"name": "a", "type": "ping", "url": "https://y"}],)")),
      Contains("notify[1].name: duplicate target name \"a\" (also notify[0])"));
  // A key of another type is an error, not silently ignored.
  CHECK_THAT(error_of(config_with(R"("notify": [{"name": "a", "type": "webhook", "url": "https://x",
      "password_file": "/p"}],)")),
             Contains("notify[0].password_file: unknown key"));
  CHECK_THAT(error_of(config_with(R"("notify": [{"name": "m", "type": "email", "url": "smtp://h",
      "from": "a@b", "to": ["c@d"], "username": "u"}],)")),
             Contains("notify[0].password_file: is required with username"));
  CHECK_THAT(error_of(config_with(R"("notify": [{"name": "m", "type": "email", "url": "smtp://h",
      "from": "a@b", "to": ["c@d>\r\nBcc: x@y"]}],)")),
             Contains("notify[0].to[0]: must be a mail address"));
  CHECK_THAT(error_of(config_with(R"("notify": [{"name": "c", "type": "command",
      "command": ["page"]}],)")),
             Contains("notify[0].command[0]: must be an absolute path"));
  CHECK_THAT(error_of(config_with(R"("notify": [{"name": "a", "type": "webhook", "url": "https://x",
      "match": {"kinds": ["run_exploded"]}}],)")),
             Contains("notify[0].match.kinds[0]: unknown kind \"run_exploded\""));
  CHECK_THAT(error_of(config_with(R"("notify": [{"name": "a", "type": "webhook", "url": "https://x",
      "timeout": "0s"}],)")),
             Contains("notify[0].timeout:"));
  CHECK_THAT(error_of(config_with(R"("repository_space": {"min_free": "10X"},)")),
             Contains("repository_space.min_free: must be a byte count"));
  CHECK_THAT(error_of(config_with(R"("repository_space": {},)")),
             Contains("repository_space: needs min_free, min_free_percent or days_left"));
}

TEST_CASE("hooks and notification settings per node, over the defaults", "[config][notify]") {
  const auto config = parse_config(
      config_with(R"("defaults": {"failures_before_notify": 2, "hooks": {"timeout": "1m"}},)",
                  R"({"id": "n", "type": "local", "paths": ["/etc"], "stale_after": "1d",
              "hooks": {"before": "pg_dump db > /var/backups/db.sql", "after": "logger done",
                        "before_failure": "continue"}},
             {"id": "m", "type": "local", "paths": ["/etc"], "interval": "1h"})"),
      kSource);
  REQUIRE(config.has_value());
  const auto& n = config->nodes[0];
  CHECK(n.failures_before_notify == 2);
  CHECK(n.stale_limit() == 24h);
  CHECK(n.hooks.before == "pg_dump db > /var/backups/db.sql");
  CHECK(n.hooks.after == "logger done");
  CHECK(n.hooks.timeout == 1min);
  CHECK_FALSE(n.hooks.before_failure_fails);
  const auto& m = config->nodes[1];
  CHECK(m.stale_limit() == 3h);  // 3 × interval
  CHECK(m.hooks.before_failure_fails);
  CHECK_FALSE(m.hooks.before);
  CHECK_THAT(error_of(config_with("", R"({"id": "n", "type": "local", "paths": ["/etc"],
      "hooks": {"before_failure": "ignore"}})")),
             Contains("nodes[0].hooks.before_failure: must be \"fail\" or \"continue\""));
  CHECK_THAT(error_of(config_with("", R"({"id": "n", "type": "local", "paths": ["/etc"],
      "failures_before_notify": 0})")),
             Contains("nodes[0].failures_before_notify: must be an integer from 1 to 1000"));
}
