// Scheduled off-site copies (the config's "copy"): the daemon copies on each target's
// interval, remembers when across restarts, follows reloads, and tells the operator when a
// copy fails and when it works again. Every wait polls observable state (status, files,
// webhook requests); nothing sleeps.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <time.h>

#include <csignal>
#include <filesystem>

#include "common/copy_history.h"
#include "daemon/daemon_fixture.h"
#include "repo/repository.h"
#include "repo/restore.h"
#include "repo/verify.h"
#include "support/rgw_fixture.h"
#include "support/script_server.h"
#include "support/test_config.h"

using namespace nb;
using namespace nb::test;
using json = nlohmann::json;

namespace {

json copy_entry(const json& status, size_t i = 0) {
  REQUIRE(status["copies"].is_array());
  REQUIRE(status["copies"].size() > i);
  return status["copies"][i];
}

// The first copy's last run, once `done` holds for it.
json wait_for_copy(DaemonProcess& d, const std::function<bool(const json&)>& done) {
  const auto status = d.wait_status([&](const json& s) {
    if (!s["copies"].is_array() || s["copies"].empty()) return false;
    const auto& last = s["copies"][0]["last_run"];
    return last.is_object() && done(last);
  });
  return copy_entry(status);
}

std::function<bool(const json&)> event_kind(const std::string& kind) {
  return [kind](const json& r) {
    const auto body = json::parse(r["body"].get<std::string>(), nullptr, false);
    return !body.is_discarded() && body.is_object() && body["kind"] == kind;
  };
}

size_t count_kind(const ScriptServer& sink, const std::string& kind) {
  size_t n = 0;
  for (const auto& r : sink.records()) n += event_kind(kind)(r) ? 1 : 0;
  return n;
}

json webhook(const std::string& url) {
  return {{"name", "ops"}, {"type", "webhook"}, {"url", url}, {"timeout", "5s"}};
}

int64_t seconds_of(const std::string& rfc3339) {
  tm t{};
  REQUIRE(::strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%SZ", &t) != nullptr);
  return ::timegm(&t);
}

}  // namespace

TEST_CASE(
    "copy: the daemon copies after a backup, the copy verifies and restores, and "
    "a second copy sends nothing",
    "[daemon][copy]") {
  DaemonFixture f;
  const std::string offsite = f.dir / "offsite/repo";
  f.write_config(DaemonFixture::local_node("01_node", f.src, "1h"),
                 {{"copy", {{{"to", offsite}, {"interval", "1s"}}}}});
  auto& d = f.start_ready();
  wait_for_runs(d, "01_node", 1);
  d.wait_for_log("copy: 1 snapshots copied (0 already there)");
  // The next copy finds the snapshot there and sends nothing.
  const auto copy = wait_for_copy(
      d, [](const json& last) { return last["ok"] == true && last["snapshots_present"] == 1; });
  CHECK(copy["last_run"]["snapshots_copied"] == 0);
  CHECK(copy["last_run"]["blobs_copied"] == 0);
  CHECK(copy["last_run"]["bytes_copied"] == 0);
  CHECK(copy["last_run"]["result"] == "ok");
  CHECK(copy["last_run"]["error"].is_null());
  CHECK(copy["to"] == offsite);
  CHECK(copy["node"].is_null());
  CHECK(copy["interval_s"] == 1);
  CHECK(copy["consecutive_failures"] == 0);
  CHECK(copy["last_success"].is_string());
  const auto table = f.ctl({"-s", f.socket, "status"});
  CHECK_THAT(table.out, Catch::Contains("COPY TO"));
  CHECK_THAT(table.out, Catch::Contains(offsite));
  const auto metrics = d.request({{"command", "metrics"}})["metrics"].get<std::string>();
  CHECK_THAT(metrics, Catch::Contains("nodebackup_copy_consecutive_failures{to=\"" + offsite));
  d.signal(SIGTERM);
  REQUIRE(d.wait_exit() == 0);

  auto target = repo::Repository::open(offsite, /*create=*/false);
  REQUIRE(target);
  auto verified = repo::verify(**target, {});
  REQUIRE(verified);
  CHECK(verified->problems.empty());
  auto record = (*target)->find_snapshot("01_node", "latest");
  REQUIRE(record);
  CHECK(record->id == f.snapshots("01_node").back()["id"]);
  TempDir restored;
  auto report = repo::restore(**target, *record, {}, restored.path(), {});
  REQUIRE(report);
  CHECK(report->errors.empty());
  CHECK(describe_tree(restored.path() + f.src) == describe_tree(f.src));
}

TEST_CASE("copy: a failing copy sends one copy_failed with the error, then copy_recovered",
          "[daemon][copy][notify]") {
  HttpSink sink;
  DaemonFixture f;
  // A file where the target directory should be: the copy cannot create its repository.
  const std::string offsite = f.dir / "offsite";
  write_file(offsite, "not a directory");
  f.write_config(DaemonFixture::local_node("01_node", f.src, "1h"),
                 {{"copy", {{{"to", offsite}, {"interval", "1s"}, {"node", "01_node"}}}},
                  {"notify", {webhook(sink.url("/events"))}}});
  auto& d = f.start_ready();
  const auto failed = sink.wait_for(1, event_kind("copy_failed"), "a copy_failed event");
  const auto event = json::parse(failed[0]["body"].get<std::string>());
  CHECK(event["severity"] == "error");
  CHECK(event["copy_to"] == offsite);
  CHECK(event["node"] == "01_node");
  CHECK(event["consecutive_failures"] == 1);
  REQUIRE(event["error"].is_string());
  CHECK_THAT(event["error"].get<std::string>(), Catch::Contains(offsite));
  CHECK_THAT(event["summary"].get<std::string>(),
             Catch::StartsWith("copy to " + offsite + " (01_node) failed: "));
  // Retried (with the backoff, here capped by the 1 s interval) and failing: still one event.
  const auto failing = d.wait_status([](const json& s) {
    return s["copies"].size() == 1 && s["copies"][0]["consecutive_failures"].get<int>() >= 3;
  });
  CHECK(failing["copies"][0]["state"] == "failing");
  CHECK(failing["copies"][0]["last_run"]["result"] == "failed");
  CHECK(failing["copies"][0]["last_success"].is_null());
  const auto table = f.ctl({"-s", f.socket, "status"});
  CHECK_THAT(table.out, Catch::Contains("copy to " + offsite + ": failed"));
  CHECK(count_kind(sink, "copy_failed") == 1);

  // A restart remembers that the failure was reported: failing on, it sends nothing new.
  d.signal(SIGTERM);
  REQUIRE(d.wait_exit() == 0);
  const auto state = json::parse(read_whole(f.state + "/copies.json"));
  const int failures = state["copies"][0]["consecutive_failures"].get<int>();
  CHECK(failures >= 3);
  auto& restarted = f.start_ready();
  restarted.wait_status(
      [&](const json& s) { return s["copies"][0]["consecutive_failures"].get<int>() > failures; });
  CHECK(count_kind(sink, "copy_failed") == 1);

  std::filesystem::remove(offsite);
  const auto recovered = sink.wait_for(1, event_kind("copy_recovered"), "copy_recovered");
  const auto back = json::parse(recovered[0]["body"].get<std::string>());
  CHECK(back["severity"] == "info");
  CHECK(back["copy_to"] == offsite);
  CHECK(back["counts"].contains("blobs_copied"));
  const auto ok = wait_for_copy(restarted, [](const json& last) { return last["ok"] == true; });
  CHECK(ok["consecutive_failures"] == 0);
  CHECK(ok["state"] != "failing");
  CHECK(count_kind(sink, "copy_failed") == 1);
  CHECK(count_kind(sink, "copy_recovered") == 1);
}

TEST_CASE("copy: the last copy is remembered across a restart, and not repeated at once",
          "[daemon][copy]") {
  DaemonFixture f;
  const std::string offsite = f.dir / "offsite";
  f.write_config(DaemonFixture::local_node("01_node", f.src, "1h"),
                 {{"copy", {{{"to", offsite}, {"interval", "1h"}}}}});
  auto& first = f.start_ready();
  // A copy with no history runs at once.
  const auto before = wait_for_copy(first, [](const json& last) { return last["ok"] == true; });
  first.signal(SIGTERM);
  REQUIRE(first.wait_exit() == 0);
  const auto state = json::parse(read_whole(f.state + "/copies.json"));
  CHECK(state["version"] == 1);
  REQUIRE(state["copies"].size() == 1);
  CHECK(state["copies"][0]["to"] == offsite);

  auto& second = f.start_ready();
  const auto after = copy_entry(second.request({{"command", "status"}}));
  CHECK(after["last_run"] == before["last_run"]);
  CHECK(after["last_success"] == before["last_success"]);
  CHECK(after["state"] == "idle");
  // Due one interval after the last copy ended, not at the start.
  REQUIRE(after["next_run"].is_string());
  CHECK(seconds_of(after["next_run"]) - seconds_of(after["last_run"]["finished"]) == 3600);
}

TEST_CASE(
    "copy: SIGKILL while copies run and copies.json is rewritten leaves a history that loads "
    "and a target that verifies",
    "[daemon][copy][kill]") {
  DaemonFixture f;
  const std::string offsite = f.dir / "offsite";
  f.write_config(DaemonFixture::local_node("01_node", f.src, "1h"),
                 {{"copy", {{{"to", offsite}, {"interval", "1s"}}}}});
  // Copies go every second, each ending in a rewrite of copies.json: the kill lands after a
  // different number of them each trial, at whatever instant of the next copy or save.
  for (int trial = 0; trial < 4; ++trial) {
    INFO("trial " << trial);
    auto& d = f.start_ready();
    std::string finished;
    for (int copies = 0; copies <= trial; ++copies) {
      // (the first copy may run before the first backup: it is not counted)
      const auto copy = wait_for_copy(d, [&](const json& last) {
        return last["ok"] == true && last["finished"] != finished &&
               last["snapshots_copied"].get<int>() + last["snapshots_present"].get<int>() > 0;
      });
      finished = copy["last_run"]["finished"];
    }
    d.signal(SIGKILL);
    CHECK(d.wait_exit() == -1);

    auto history = daemon::load_copy_state(f.state);
    REQUIRE(history);
    CHECK(history->size() == 1);
    auto target = repo::Repository::open(offsite, /*create=*/false);
    REQUIRE(target);
    auto verified = repo::verify(**target, {});
    REQUIRE(verified);
    CHECK(verified->problems.empty());
    CHECK((*target)->find_snapshot("01_node", "latest"));
  }
  // The restarted daemon takes the history up without complaint.
  auto& last = f.start_ready();
  const auto after = copy_entry(last.request({{"command", "status"}}));
  CHECK(after["last_run"].is_object());
  CHECK(last.log().find("read copy state") == std::string::npos);
}

TEST_CASE("copy: a reload adds and removes copy targets", "[daemon][copy]") {
  DaemonFixture f;
  const auto node = DaemonFixture::local_node("01_node", f.src, "1h");
  f.write_config(node);
  auto& d = f.start_ready();
  wait_for_runs(d, "01_node", 1);
  CHECK(d.request({{"command", "status"}})["copies"].empty());

  const std::string offsite = f.dir / "offsite";
  f.write_config(node, {{"copy", {{{"to", offsite}, {"interval", "1h"}}}}});
  REQUIRE(f.ctl({"-s", f.socket, "reload"}).exit_code == 0);
  const auto copied = wait_for_copy(d, [](const json& last) { return last["ok"] == true; });
  CHECK(copied["last_run"]["snapshots_copied"] == 1);
  CHECK(std::filesystem::exists(offsite + "/config"));

  // A copy that names its repository is refused with the field, and the running one stays.
  f.write_config(node, {{"copy", {{{"to", f.dir / "repo"}}}}});
  const auto refused = f.ctl({"-s", f.socket, "reload"});
  CHECK(refused.exit_code != 0);
  CHECK_THAT(refused.err, Catch::Contains("copy[0].to: must not be the repository"));
  CHECK(d.request({{"command", "status"}})["copies"].size() == 1);

  f.write_config(node);
  REQUIRE(f.ctl({"-s", f.socket, "reload"}).exit_code == 0);
  CHECK(d.request({{"command", "status"}})["copies"].empty());
}

TEST_CASE("copy: --check-config names a bad copy entry", "[daemon][copy]") {
  DaemonFixture f;
  f.write_config(DaemonFixture::local_node("01_node", f.src),
                 {{"copy", {{{"to", f.dir / "offsite"}, {"interval", "daily"}}}}});
  const auto r = run_process({NB_DAEMON_BIN, "-c", f.config, "--check-config"});
  CHECK(r.exit_code == 78);
  CHECK_THAT(r.err, Catch::Contains(f.config));
  CHECK_THAT(r.err, Catch::Contains("copy[0].interval"));

  f.write_config(DaemonFixture::local_node("01_node", f.src),
                 {{"copy", {{{"to", f.dir / "offsite"}, {"interval", "6h"}}}}});
  const auto ok = run_process({NB_DAEMON_BIN, "-c", f.config, "--check-config"});
  CHECK(ok.exit_code == 0);
  CHECK_THAT(ok.out, Catch::Contains("copy (1):"));
}

TEST_CASE("copy: a scheduled copy into a bucket on the config's S3 store", "[s3][daemon][copy]") {
  const auto& s3 = RgwServer::instance().settings();
  DaemonFixture f;
  const std::string credentials = f.dir / "s3-credentials";
  write_file(credentials, "AWS_ACCESS_KEY_ID=" + s3.access_key +
                              "\nAWS_SECRET_ACCESS_KEY=" + s3.secret_key + "\n");
  ::chmod(credentials.c_str(), 0600);
  const json s3_object = {
      {"endpoint", s3.endpoint}, {"region", s3.region}, {"credentials_file", credentials}};
  const std::string to = "s3://" + RgwServer::instance().new_bucket() + "/offsite";
  f.write_config(DaemonFixture::local_node("01_node", f.src, "1h"),
                 {{"s3", s3_object}, {"copy", {{{"to", to}, {"interval", "1s"}}}}});
  auto& d = f.start_ready();
  wait_for_runs(d, "01_node", 1);
  const auto copy = wait_for_copy(
      d, [](const json& last) { return last["ok"] == true && last["snapshots_present"] == 1; });
  CHECK(copy["last_run"]["blobs_copied"] == 0);
  d.signal(SIGTERM);
  REQUIRE(d.wait_exit() == 0);

  // The target as its own repository: nodebackupctl verifies and restores it.
  const std::string offsite_config = f.dir / "offsite.json";
  write_config(offsite_config,
               test_config(f.dir / "offsite-view", DaemonFixture::local_node("01_node", f.src),
                           {{"repository", to}, {"s3", s3_object}}));
  const auto verified = run_process({NB_CTL_BIN, "-c", offsite_config, "verify"});
  INFO(verified.out << verified.err);
  CHECK(verified.exit_code == 0);
  TempDir restored;
  const auto r = run_process({NB_CTL_BIN, "-c", offsite_config, "restore", "01_node", "latest",
                              "--target", restored.path()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(describe_tree(restored.path() + f.src) == describe_tree(f.src));
}
