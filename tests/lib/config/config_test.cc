#include "config/config.h"

#include <stdlib.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "config/duration.h"

namespace {

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using nb::config::parse_config;

const std::string kSource = "/etc/nodebackup/config.json";

// DESIGN §6's example.
const std::string kFullConfig = R"({
  "repository": "/var/lib/nodebackup/repo",
  "state_dir": "/var/lib/nodebackup",
  "control_socket": "/run/nodebackup/control.sock",
  "store_snapshot_interval": "5m",
  "max_concurrent_jobs": 2,
  "prune_interval": "1d",
  "metrics_textfile": "/var/lib/prometheus/node-exporter/nodebackup.prom",
  "defaults": {"interval": "2h", "jitter": "2m", "exclude": ["*.swp"],
               "retain": {"last": 24, "daily": 7, "weekly": 4}},
  "nodes": [
    {"id": "01_node", "type": "local", "paths": ["/etc/app", "/srv/app/data"]},
    {"id": "02_node", "type": "ssh", "host": "192.0.2.12", "port": 22, "user": "backup",
     "identity_file": "/etc/nodebackup/id_ed25519",
     "known_hosts": "/etc/nodebackup/known_hosts", "host_key_policy": "strict",
     "transport": "sftp", "paths": ["/etc/app"], "interval": "2h"}
  ]
})";

const std::string kLocalNode = R"({"id": "n", "type": "local", "paths": ["/etc"]})";
const std::string kSshNode =
    R"({"id": "s", "type": "ssh", "host": "h", "user": "u", "identity_file": "/k", "paths": ["/etc"]})";

// A valid config around `nodes` (a JSON array body), with extra top-level keys spliced in.
std::string config_with(const std::string& nodes, const std::string& top_level = "") {
  return R"({"repository": "/r", "state_dir": "/s", )" + top_level + R"("nodes": [)" + nodes + "]}";
}

// kLocalNode or kSshNode with extra keys (e.g. R"("port": 0)") added.
std::string with(const std::string& node, const std::string& extra) {
  return node.substr(0, node.size() - 1) + ", " + extra + "}";
}

std::string error_of(const std::string& text) {
  const auto config = parse_config(text, kSource);
  REQUIRE_FALSE(config.has_value());
  CHECK(config.error().op() == "config");
  CHECK(config.error().path() == kSource);
  return config.error().message();
}

// The message names the file, then the field, then the problem.
void check_error(const std::string& text, const std::string& field) {
  CHECK_THAT(error_of(text), StartsWith("config " + kSource + ": " + field + ": "));
}

}  // namespace

TEST_CASE("the DESIGN example parses with defaults and overrides applied", "[config]") {
  const auto config = parse_config(kFullConfig, kSource);
  REQUIRE(config.has_value());
  CHECK(config->source == kSource);
  CHECK(config->repository == "/var/lib/nodebackup/repo");
  CHECK(config->state_dir == "/var/lib/nodebackup");
  CHECK(config->control_socket == "/run/nodebackup/control.sock");
  CHECK(config->store_snapshot_interval == 5min);
  CHECK(config->max_concurrent_jobs == 2);
  CHECK(config->prune_interval == std::chrono::seconds(24h));
  CHECK(config->metrics_textfile == "/var/lib/prometheus/node-exporter/nodebackup.prom");
  REQUIRE(config->nodes.size() == 2);

  const auto& local = config->nodes[0];
  CHECK(local.id == "01_node");
  CHECK(local.type == nb::config::NodeType::local);
  CHECK(local.paths == std::vector<std::string>{"/etc/app", "/srv/app/data"});
  CHECK(local.interval == 2h);
  CHECK(local.jitter == 2min);
  CHECK(local.exclude == std::vector<std::string>{"*.swp"});
  CHECK(local.retain.last == 24);
  CHECK(local.retain.daily == 7);
  CHECK(local.retain.weekly == 4);
  CHECK(local.retain.monthly == 0);
  CHECK_FALSE(local.ssh.has_value());

  const auto& remote = config->nodes[1];
  CHECK(remote.type == nb::config::NodeType::ssh);
  REQUIRE(remote.ssh.has_value());
  CHECK(remote.ssh->host == "192.0.2.12");
  CHECK(remote.ssh->port == 22);
  CHECK(remote.ssh->user == "backup");
  CHECK(remote.ssh->identity_file == "/etc/nodebackup/id_ed25519");
  CHECK(remote.ssh->known_hosts == "/etc/nodebackup/known_hosts");
  CHECK(remote.ssh->host_key_policy == nb::config::HostKeyPolicy::strict);
  CHECK(remote.ssh->transport == nb::config::Transport::sftp);

  CHECK(config->find_node("02_node") == &remote);
  CHECK(config->find_node("03_node") == nullptr);
}

TEST_CASE("a node overrides defaults key by key", "[config]") {
  const auto text = config_with(
      with(
          kSshNode,
          R"("interval": "30m", "jitter": "0s", "exclude": ["*.tmp", "cache/"], "retain": {"daily": 30}, "port": 2222, "host_key_policy": "accept-new", "transport": "exec", "paths": ["/srv/", "/etc//app"])"),
      R"("defaults": {"interval": "1h", "exclude": ["*.swp"], "retain": {"last": 5, "yearly": 2}}, )");
  const auto config = parse_config(text, kSource);
  REQUIRE(config.has_value());
  const auto& node = config->nodes.at(0);
  CHECK(node.interval == 30min);
  CHECK(node.jitter == 0s);
  CHECK(node.exclude == std::vector<std::string>{"*.tmp", "cache/"});
  CHECK(node.retain.last == 5);    // from defaults
  CHECK(node.retain.yearly == 2);  // from defaults
  CHECK(node.retain.daily == 30);  // the node's own
  CHECK(node.retain.weekly == 4);  // built-in
  CHECK(node.paths == std::vector<std::string>{"/srv", "/etc/app"});
  REQUIRE(node.ssh.has_value());
  CHECK(node.ssh->port == 2222);
  CHECK(node.ssh->known_hosts == "/s/known_hosts");
  CHECK(node.ssh->host_key_policy == nb::config::HostKeyPolicy::accept_new);
  CHECK(node.ssh->transport == nb::config::Transport::exec);
}

TEST_CASE("the minimal config gets every default", "[config]") {
  const auto config = parse_config(
      R"({"repository": "/r", "state_dir": "/s/", "nodes": [{"id": "n", "type": "local", "paths": ["/"]}]})",
      kSource);
  REQUIRE(config.has_value());
  CHECK(config->state_dir == "/s");
  CHECK(config->control_socket == "/run/nodebackup/control.sock");
  CHECK(config->store_snapshot_interval == 5min);
  CHECK(config->max_concurrent_jobs == 2);
  CHECK_FALSE(config->prune_interval.has_value());
  CHECK_FALSE(config->metrics_textfile.has_value());
  const auto& node = config->nodes.at(0);
  CHECK(node.paths == std::vector<std::string>{"/"});
  CHECK(node.interval == 2h);
  CHECK(node.jitter == 2min);
  CHECK(node.exclude.empty());
  const nb::config::Retention retain = node.retain;
  CHECK(retain.last == 24);
  CHECK(retain.hourly == 0);
  CHECK(retain.daily == 7);
  CHECK(retain.weekly == 4);
  CHECK(retain.monthly == 0);
  CHECK(retain.yearly == 0);
}

TEST_CASE("an ssh node's known_hosts defaults to the state dir", "[config]") {
  const auto config = parse_config(config_with(kSshNode), kSource);
  REQUIRE(config.has_value());
  REQUIRE(config->nodes.at(0).ssh.has_value());
  const auto& ssh = *config->nodes[0].ssh;
  CHECK(ssh.known_hosts == "/s/known_hosts");
  CHECK(ssh.port == 22);
  CHECK(ssh.host_key_policy == nb::config::HostKeyPolicy::strict);
  CHECK(ssh.transport == nb::config::Transport::sftp);
}

TEST_CASE("unknown keys are errors that name the key", "[config]") {
  check_error(config_with(kLocalNode, R"("colour": "blue", )"), "colour");
  check_error(config_with(kLocalNode + ", " + with(kLocalNode, R"("colour": 1)")),
              "nodes[1].colour");
  check_error(config_with(kLocalNode, R"("defaults": {"retain": {"daly": 1}}, )"),
              "defaults.retain.daly");
  CHECK_THAT(error_of(config_with(kLocalNode, R"("colour": "blue", )")), Contains("unknown key"));
}

TEST_CASE("bad durations name their field", "[config]") {
  for (const std::string bad : {"5x", "", "-1m", "1.5h", "0s", "m", "1 h", "1hm"}) {
    INFO("duration \"" << bad << "\"");
    check_error(config_with(with(kLocalNode, R"("interval": ")" + bad + "\"")),
                "nodes[0].interval");
  }
  check_error(config_with(with(kLocalNode, R"("interval": 60)")), "nodes[0].interval");
  check_error(config_with(kLocalNode, R"("defaults": {"jitter": "2x"}, )"), "defaults.jitter");
  check_error(config_with(kLocalNode, R"("store_snapshot_interval": "0m", )"),
              "store_snapshot_interval");
  CHECK_THAT(error_of(config_with(with(kLocalNode, R"("interval": "5x")"))),
             Contains("\"5x\" is not a duration"));
}

TEST_CASE("paths must be absolute and clean", "[config]") {
  check_error(R"({"repository": "var/repo", "state_dir": "/s", "nodes": [)" + kLocalNode + "]}",
              "repository");
  check_error(R"({"state_dir": "/s", "nodes": [)" + kLocalNode + "]}", "repository");
  check_error(config_with(with(kLocalNode, R"("paths": ["etc"])")), "nodes[0].paths[0]");
  check_error(config_with(with(kLocalNode, R"("paths": ["/a", "/srv/../etc"])")),
              "nodes[0].paths[1]");
  check_error(config_with(with(kLocalNode, R"("paths": ["/a", "/b", "/srv/./x"])")),
              "nodes[0].paths[2]");
  check_error(config_with(with(kLocalNode, R"("paths": ["/a/.."])")), "nodes[0].paths[0]");
  check_error(config_with(with(kLocalNode, R"("paths": ["/a\u0000b"])")), "nodes[0].paths[0]");
  check_error(config_with(with(kLocalNode, R"("paths": [])")), "nodes[0].paths");
  CHECK_THAT(error_of(config_with(with(kLocalNode, R"("paths": ["/a", "/a/"])"))),
             Contains("nodes[0].paths[1]: duplicate path \"/a\" (also nodes[0].paths[0])"));
}

TEST_CASE("node ids are unique and safe", "[config]") {
  const std::string second = R"({"id": "02_node", "type": "local", "paths": ["/x"]})";
  CHECK_THAT(error_of(config_with(second + ", " + kLocalNode + ", " + second)),
             Contains("nodes[2].id: duplicate node id \"02_node\" (also nodes[0])"));
  for (const std::string& bad :
       std::vector<std::string>{"../x", "a b", "", ".", "..", "a/b", std::string(65, 'a')}) {
    INFO("id \"" << bad << "\"");
    check_error(config_with(R"({"id": ")" + bad + R"(", "type": "local", "paths": ["/x"]})"),
                "nodes[0].id");
  }
  CHECK(parse_config(config_with(R"({"id": ")" + std::string(64, 'a') +
                                 R"(", "type": "local", "paths": ["/x"]})"),
                     kSource)
            .has_value());
  check_error(config_with(R"({"type": "local", "paths": ["/x"]})"), "nodes[0].id");
}

TEST_CASE("ports are integers from 1 to 65535", "[config]") {
  for (const std::string bad : {"0", "70000", "\"22\"", "-1", "22.5", "18446744073709551615"}) {
    INFO("port " << bad);
    CHECK_THAT(error_of(config_with(with(kSshNode, R"("port": )" + bad))),
               Contains("nodes[0].port: must be an integer from 1 to 65535"));
  }
  CHECK_THAT(error_of(config_with(kLocalNode + ", " + with(kSshNode, R"("port": 0)"))),
             Contains("nodes[1].port"));
}

TEST_CASE("ssh settings are checked", "[config]") {
  const std::string no_host =
      R"({"id": "s", "type": "ssh", "user": "u", "identity_file": "/k", "paths": ["/etc"]})";
  CHECK_THAT(error_of(config_with(no_host)), Contains("nodes[0].host: is required"));
  CHECK_THAT(
      error_of(config_with(
          R"({"id": "s", "type": "ssh", "host": "a b", "user": "u", "identity_file": "/k", "paths": ["/etc"]})")),
      Contains("nodes[0].host: must not contain whitespace"));
  CHECK_THAT(error_of(config_with(with(kLocalNode, R"("port": 22)"))),
             Contains("nodes[0].port: only valid for ssh nodes"));
  CHECK_THAT(error_of(config_with(with(kSshNode, R"("host_key_policy": "accept_new")"))),
             Contains("nodes[0].host_key_policy: must be \"strict\" or \"accept-new\""));
  CHECK_THAT(error_of(config_with(with(kSshNode, R"("transport": "scp")"))),
             Contains("nodes[0].transport: must be \"sftp\" or \"exec\""));
  check_error(config_with(with(kSshNode, R"("known_hosts": "known_hosts")")),
              "nodes[0].known_hosts");
  CHECK_THAT(error_of(config_with(R"({"id": "n", "type": "sftp", "paths": ["/x"]})")),
             Contains("nodes[0].type: must be \"local\" or \"ssh\""));
}

TEST_CASE("wrong JSON types are errors", "[config]") {
  CHECK_THAT(error_of(R"({"repository": 1, "state_dir": "/s", "nodes": [)" + kLocalNode + "]}"),
             Contains("repository: must be a string"));
  CHECK_THAT(error_of(config_with(kLocalNode, R"("max_concurrent_jobs": 65, )")),
             Contains("max_concurrent_jobs: must be an integer from 1 to 64"));
  CHECK_THAT(error_of(config_with(kLocalNode, R"("defaults": {"retain": {"daily": -1}}, )")),
             Contains("defaults.retain.daily: must be an integer >= 0"));
  CHECK_THAT(error_of(config_with(with(kLocalNode, R"("exclude": ["*.o", 3])"))),
             Contains("nodes[0].exclude[1]: must be a string"));
  CHECK_THAT(error_of(config_with(kLocalNode, R"("defaults": [], )")),
             Contains("defaults: must be an object"));
  CHECK_THAT(error_of(R"({"repository": "/r", "state_dir": "/s", "nodes": []})"),
             Contains("nodes: must not be empty"));
  CHECK_THAT(error_of("[1, 2]"), Contains(kSource + ": must be an object"));
}

TEST_CASE("a JSON syntax error reports line and column", "[config]") {
  const std::string text = "{\n  \"repository\": \"/r\",\n  \"state_dir\": \"/s\",}\n";
  CHECK_THAT(error_of(text), StartsWith("config " + kSource + ": line 3 column 21: "));
  CHECK_THAT(error_of(""), StartsWith("config " + kSource + ": line 1 column 1: "));
}

TEST_CASE("load_config reads the file and names it on failure", "[config]") {
  const std::string missing = "/nonexistent/nodebackup-config-test.json";
  const auto absent = nb::config::load_config(missing);
  REQUIRE_FALSE(absent.has_value());
  CHECK_THAT(absent.error().message(), Contains(missing));

  char name[] = "/tmp/nb-config-test-XXXXXX";
  const int fd = ::mkstemp(name);
  REQUIRE(fd >= 0);
  ::close(fd);
  std::ofstream(name) << kFullConfig;
  const auto config = nb::config::load_config(name);
  std::remove(name);
  REQUIRE(config.has_value());
  CHECK(config->source == name);
  CHECK(config->nodes.size() == 2);
}

TEST_CASE("describe summarises the config", "[config]") {
  const auto config = parse_config(kFullConfig, kSource);
  REQUIRE(config.has_value());
  const std::string text = nb::config::describe(*config);
  CHECK_THAT(text, Contains("/var/lib/nodebackup/repo"));
  CHECK_THAT(text, Contains("/run/nodebackup/control.sock"));
  CHECK_THAT(text, Contains("01_node: local"));
  CHECK_THAT(text, Contains("02_node: ssh backup@192.0.2.12:22 via sftp"));
  CHECK_THAT(text, Contains("path /srv/app/data"));
  CHECK_THAT(text, Contains("every 2h"));
}

TEST_CASE("parse_duration and format_duration round-trip", "[config]") {
  using nb::config::format_duration;
  using nb::config::parse_duration;
  CHECK(parse_duration("1s") == 1s);
  CHECK(parse_duration("90s") == 90s);
  CHECK(parse_duration("5m") == 5min);
  CHECK(parse_duration("2h") == 2h);
  CHECK(parse_duration("1d") == 24h);
  for (const std::string bad :
       {"", "0s", "-1m", "+1m", "1.5h", "5x", "h", "1", "1hm", " 1h", "99999999999999999999d"}) {
    INFO("\"" << bad << "\"");
    CHECK_FALSE(parse_duration(bad).has_value());
  }
  CHECK(nb::config::parse_duration_allow_zero("0m") == 0s);
  CHECK(format_duration(7200s) == "2h");
  CHECK(format_duration(90s) == "90s");
  CHECK(format_duration(86400s) == "1d");
  CHECK(format_duration(0s) == "0s");
  for (const std::string text : {"1s", "59s", "90s", "5m", "61m", "2h", "25h", "1d", "30d"}) {
    CHECK(format_duration(*parse_duration(text)) == text);
  }
}

TEST_CASE("config errors are of kind config, whatever their operation", "[config]") {
  const auto absent = nb::config::load_config("/nonexistent/nodebackup-config-test.json");
  REQUIRE_FALSE(absent);
  CHECK(absent.error().kind() == nb::ErrorKind::config);
  CHECK(absent.error().op() == "read config");
  const auto syntax = parse_config("{\"nodes\": [", "inline.json");
  REQUIRE_FALSE(syntax);
  CHECK(syntax.error().kind() == nb::ErrorKind::config);
  const auto invalid = parse_config("{\"nodes\": 3}", "inline.json");
  REQUIRE_FALSE(invalid);
  CHECK(invalid.error().kind() == nb::ErrorKind::config);
  // Not every error is: an errno is the system's, a malformed peer message the protocol's.
  CHECK(nb::Error("open", "/x", ENOENT).kind() == nb::ErrorKind::system);
  CHECK(nb::Error("read tar stream", "02_node", EPROTO).kind() == nb::ErrorKind::protocol);
}

TEST_CASE("exclude_from reads its files at load, and exclude_larger_than takes a unit",
          "[config][exclude]") {
  char dir_template[] = "/tmp/nb-exclude-XXXXXX";
  REQUIRE(::mkdtemp(dir_template) != nullptr);
  const std::string dir = dir_template;
  const std::string file = dir + "/excludes";
  std::ofstream(file) << "# caches\n*.tmp\n\n  \nlogs/   \nspace\\ \n\\#literal\r\n!keep.tmp\n";
  const auto config = parse_config(
      config_with(with(kLocalNode, R"("exclude": ["*.swp"], "exclude_from": [")" + file +
                                       R"("], "exclude_larger_than": "2G")")),
      kSource);
  REQUIRE(config);
  const auto& node = config->nodes[0];
  CHECK(node.exclude == std::vector<std::string>{"*.swp"});
  CHECK(node.exclude_from == std::vector<std::string>{file});
  CHECK(node.exclude_from_patterns ==
        std::vector<std::string>{"*.tmp", "logs/", "space\\ ", "\\#literal", "!keep.tmp"});
  CHECK(node.exclude_larger_than == uint64_t{2} << 30);

  // Defaults carry both to a node that sets neither.
  const auto defaulted = parse_config(
      config_with(kLocalNode, R"("defaults": {"exclude_from": [")" + file +
                                  R"("], "exclude_larger_than": 4096}, )"),
      kSource);
  REQUIRE(defaulted);
  CHECK(defaulted->nodes[0].exclude_from_patterns.size() == 5);
  CHECK(defaulted->nodes[0].exclude_larger_than == 4096u);

  check_error(config_with(with(kLocalNode, R"("exclude_from": [")" + dir + R"(/missing"])")),
              "nodes[0].exclude_from[0]");
  CHECK_THAT(error_of(config_with(with(kLocalNode, R"("exclude_from": [")" + dir +
                                                       R"(/missing"])"))),
             Contains("cannot read " + dir + "/missing"));
  check_error(config_with(with(kLocalNode, R"("exclude_from": ["relative"])")),
              "nodes[0].exclude_from[0]");
  for (const char* bad : {R"("1X")", R"("M")", R"(0)", R"("0K")", R"(-5)", R"("12.5M")",
                          R"("9999999999999G")"}) {
    INFO(bad);
    check_error(config_with(with(kLocalNode, std::string(R"("exclude_larger_than": )") + bad)),
                "nodes[0].exclude_larger_than");
  }
  std::remove(file.c_str());
  ::rmdir(dir.c_str());
}
