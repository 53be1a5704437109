// The daemon raises the alarms of DESIGN §1 item 4 itself: write-back incomplete, diff
// detection ineffective, and untrusted ("MISSING") store entries.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <csignal>
#include <filesystem>

#include "daemon/daemon_fixture.h"
#include "store/hash_store.h"

using namespace nb::test;
using json = nlohmann::json;

namespace {

json alarm(const json& status, const std::string& node, const std::string& kind) {
  const json entry = DaemonProcess::node(status, node);  // kept: the loop refers into it
  for (const auto& a : entry.is_object() ? entry.value("alarms", json::array()) : json::array()) {
    if (a["kind"] == kind) return a;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("alarm writeback_incomplete: a file the daemon cannot read is never written back",
          "[daemon][alarm]") {
  DaemonFixture f;
  const std::string secret = f.src + "/secret";
  write_file(secret, "s");
  REQUIRE(::chmod(secret.c_str(), 0) == 0);
  f.write_config(DaemonFixture::local_node("01_node", f.src, "1h"));
  // The daemon runs as an unprivileged user, as it would under its unit, so EACCES is real.
  REQUIRE(::chmod(f.dir.path().c_str(), 0755) == 0);
  REQUIRE(run_process({"/bin/chown", "-R", "nbtest:nbtest", f.dir.path()}).exit_code == 0);
  REQUIRE(::chown(secret.c_str(), 0, 0) == 0);
  auto& d = f.start({}, {"/usr/bin/setpriv", "--reuid=nbtest", "--regid=nbtest", "--clear-groups"});
  const auto status = d.wait_status(
      [](const json& s) { return alarm(s, "01_node", "writeback_incomplete").is_object(); });
  const auto a = alarm(status, "01_node", "writeback_incomplete");
  CHECK(a["count"] == 1);
  CHECK(a["examples"][0] == secret);
  CHECK(a["since"].is_string());
  d.wait_for_log("01_node: alarm writeback_incomplete: 1");
  const auto metrics = d.request({{"command", "metrics"}})["metrics"].get<std::string>();
  CHECK_THAT(metrics,
             Catch::Contains("nodebackup_alarm{node=\"01_node\",kind=\"writeback_incomplete\"} 1"));
}

TEST_CASE("alarm diff_ineffective: the same files re-read unchanged three runs in a row",
          "[daemon][alarm]") {
  DaemonFixture f;
  // An mtime in the future is racy forever: the file is read every run, always the same.
  set_mtime_age(f.src + "/f3", -100'000);
  f.write_config(DaemonFixture::local_node("01_node", f.src, "1s"));
  auto& d = f.start_ready();
  const auto status = d.wait_status(
      [](const json& s) { return alarm(s, "01_node", "diff_ineffective").is_object(); });
  const auto a = alarm(status, "01_node", "diff_ineffective");
  CHECK(a["count"] == 1);
  CHECK(a["examples"][0] == f.src + "/f3");
  // It was raised no earlier than the third run that re-read the file.
  CHECK(DaemonProcess::node(status, "01_node")["runs"]["ok"] >= 4);
  d.wait_for_log("01_node: alarm diff_ineffective: 1");
  CHECK_THAT(d.log(), Catch::Contains(f.src + "/f3"));
}

TEST_CASE("alarm store_untrusted: MISSING entries are reported until a run heals them",
          "[daemon][alarm]") {
  DaemonFixture f;
  f.write_config(DaemonFixture::local_node("01_node", f.src, "1h"));
  REQUIRE(run_process({NB_DAEMON_BIN, "-c", f.config, "--run-once"}).exit_code == 0);
  // The store of the original incident: the node's files all "MISSING".
  json legacy = json::object();
  for (int i = 0; i < 5; ++i) legacy["01_node"][f.src + "/f" + std::to_string(i)] = "MISSING";
  write_file(f.state + "/" + nb::store::HashStore::kFileName, legacy.dump());
  std::filesystem::remove(f.state + "/" + nb::store::HashStore::kFileName +
                          nb::store::HashStore::kPreviousSuffix);

  // The latest snapshot is fresh, so the node does not run at start: the alarm stands.
  auto& d = f.start_ready();
  const auto status = d.request({{"command", "status"}});
  const auto a = alarm(status, "01_node", "store_untrusted");
  REQUIRE(a.is_object());
  CHECK(a["count"] == 5);
  CHECK(status["store"]["missing"] == 5);
  // Not run by this daemon: the last run shown is the --run-once run's snapshot.
  CHECK(DaemonProcess::node(status, "01_node")["last_run"]["source"] == "snapshot");
  CHECK_THAT(d.log(), Catch::Contains("01_node: alarm store_untrusted: 5"));

  const auto run = f.ctl({"run", "01_node", "--wait"});
  REQUIRE(run.exit_code == 0);
  const auto healed = d.request({{"command", "status"}});
  CHECK(DaemonProcess::node(healed, "01_node")["alarms"].empty());
  CHECK(healed["store"]["missing"] == 0);
  // The five "MISSING" files and the one the store did not know at all.
  CHECK(DaemonProcess::node(healed, "01_node")["last_run"]["new"] == 6);
}
