// nodebackupd as a process: readiness, scheduled runs, SIGHUP reloads, SIGTERM, the watchdog.
#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>

#include "common/control_client.h"
#include "daemon/daemon_fixture.h"
#include "store/hash_store.h"

using namespace nb::test;
using json = nlohmann::json;

TEST_CASE("daemon: READY=1 once serving, status lists the nodes, STOPPING=1 and exit 0",
          "[daemon]") {
  DaemonFixture f;
  f.write_config({DaemonFixture::local_node("01_node", f.src, "1h"),
                  DaemonFixture::local_node("02_node", f.src, "1h")});
  auto& d = f.start();
  const auto ready = f.notify.wait_for("READY=1");
  CHECK_THAT(ready, Catch::Contains("STATUS=2 nodes"));
  const auto status = d.request({{"command", "status"}});
  REQUIRE(status["ok"] == true);
  CHECK(status["pid"] == d.pid());
  CHECK(status["nodes"].size() == 2);
  CHECK(DaemonProcess::node(status, "01_node")["type"] == "local");
  for (const char* key : {"version", "uptime_s", "config", "store"}) CHECK(status.contains(key));

  // No snapshot yet: both nodes are overdue and run at once, not an hour from now.
  wait_for_runs(d, "01_node", 1);
  wait_for_runs(d, "02_node", 1);
  d.signal(SIGTERM);
  f.notify.wait_for("STOPPING=1");
  CHECK(d.wait_exit() == 0);
  CHECK(std::filesystem::exists(f.state + "/" + nb::store::HashStore::kFileName));
  // Nothing was asked of the watchdog, so it was never pinged.
  for (const auto& m : f.notify.messages()) CHECK_THAT(m, !Catch::Contains("WATCHDOG=1"));
}

TEST_CASE("daemon: scheduled runs read nothing when nothing changed, and store a change",
          "[daemon]") {
  DaemonFixture f;
  f.write_config(DaemonFixture::local_node("01_node", f.src, "1s"));
  auto& d = f.start_ready();
  const auto first = wait_for_runs(d, "01_node", 1);
  CHECK(first["new"] == 6);
  CHECK(first["bytes_stored"] == 31);
  const auto third = wait_for_runs(d, "01_node", 3);
  CHECK(third["unchanged"] == 6);
  CHECK(third["bytes_read"] == 0);
  CHECK(third["bytes_stored"] == 0);

  write_file(f.src + "/f2", "changed!", 1800);
  const auto status = d.wait_status([](const json& s) {
    const auto run = DaemonProcess::node(s, "01_node")["last_run"];
    return run.is_object() && run["changed"] == 1;
  });
  const auto changed = DaemonProcess::node(status, "01_node")["last_run"];
  CHECK(changed["bytes_stored"] == 8);
  CHECK(changed["bytes_read"] == 8);

  d.signal(SIGTERM);
  REQUIRE(d.wait_exit() == 0);
  const auto snapshots = f.snapshots("01_node");
  REQUIRE(snapshots.size() >= 4);
  for (size_t i = 1; i < snapshots.size(); ++i) {
    if (snapshots[i]["changed"] == 0) CHECK(snapshots[i]["bytes_stored"] == 0);
  }
}

TEST_CASE("daemon: SIGHUP adds a node, refuses a broken config and keeps the old one", "[daemon]") {
  DaemonFixture f;
  const auto first = DaemonFixture::local_node("01_node", f.src, "1h");
  f.write_config(first);
  auto& d = f.start_ready();
  wait_for_runs(d, "01_node", 1);

  f.write_config({first, DaemonFixture::local_node("02_node", f.src + "/sub", "1h")});
  d.signal(SIGHUP);
  const auto reloading = f.notify.wait_for("RELOADING=1");
  CHECK_THAT(reloading, Catch::Contains("MONOTONIC_USEC="));
  f.notify.wait_for("READY=1");
  const auto added = wait_for_runs(d, "02_node", 1);
  CHECK(added["new"] == 1);

  write_file(f.config, "{\"repository\": \"/r\", \"nodes\": [ {\"id\": 7} ]}");
  d.signal(SIGHUP);
  f.notify.wait_for("RELOADING=1");
  f.notify.wait_for("READY=1");
  d.wait_for_log("reload refused");
  CHECK_THAT(d.log(), Catch::Contains(f.config));
  const auto status = d.request({{"command", "status"}});
  CHECK(status["nodes"].size() == 2);
  // The running configuration still runs: a run on request works.
  const auto ran = f.ctl({"-s", f.socket, "run", "01_node", "--wait"});
  CHECK(ran.exit_code == 0);
  CHECK_THAT(ran.out, Catch::Contains("01_node ok"));

  // The reload command reports the refusal to the operator, too.
  const auto reload = f.ctl({"-s", f.socket, "reload"});
  CHECK(reload.exit_code == 1);
  CHECK_THAT(reload.err, Catch::Contains("config"));

  f.write_config(DaemonFixture::local_node("02_node", f.src + "/sub", "1h"));
  CHECK(f.ctl({"-s", f.socket, "reload"}).exit_code == 0);
  CHECK(d.request({{"command", "status"}})["nodes"].size() == 1);
}

TEST_CASE("daemon: SIGTERM during a long run stops at a checkpoint and the next start completes it",
          "[daemon]") {
  DaemonFixture f;
  const std::string big = f.dir / "big";
  constexpr int kFiles = 20000;
  for (int i = 0; i < kFiles; ++i) {
    write_file(big + "/d" + std::to_string(i % 20) + "/f" + std::to_string(i), std::to_string(i));
  }
  f.write_config(DaemonFixture::local_node("01_node", big, "1h"));
  auto& d = f.start_ready();
  // Wait for the run by attaching to it; the first progress event comes after the first read
  // batch, long before the last.
  auto client = nb::ControlClient::connect(f.socket);
  REQUIRE(client);
  REQUIRE(client->send({{"command", "run"}, {"node", "01_node"}, {"wait", true}}));
  for (;;) {
    auto event = client->receive(std::nullopt);
    REQUIRE(event);
    if ((*event)["event"] == "progress") break;
    REQUIRE((*event)["event"] != "finished");
  }
  d.signal(SIGTERM);
  REQUIRE(d.wait_exit() == 0);
  CHECK_THAT(d.log(), Catch::Contains("backup interrupted at a checkpoint"));
  const auto partial = f.snapshots("01_node");
  REQUIRE(partial.size() == 1);
  CHECK(partial[0]["partial"] == true);
  const uint64_t stored_first = partial[0]["new"];
  CHECK(stored_first > 0);
  CHECK(stored_first < kFiles);
  CHECK(std::filesystem::exists(f.state + "/" + nb::store::HashStore::kFileName));

  // The next start goes on from the checkpoint: what was committed is not read again.
  auto& again = f.start_ready();
  const auto resumed = wait_for_runs(again, "01_node", 1);
  CHECK(resumed["unchanged"] == stored_first);
  CHECK(resumed["new"] == kFiles - stored_first);
  again.signal(SIGTERM);
  REQUIRE(again.wait_exit() == 0);
  const auto verify = f.ctl({"verify"});
  CHECK(verify.exit_code == 0);
}

TEST_CASE("daemon: the watchdog is pinged at half of WATCHDOG_USEC", "[daemon]") {
  DaemonFixture f;
  f.write_config(DaemonFixture::local_node("01_node", f.src, "1h"));
  auto& d = f.start({"WATCHDOG_USEC=200000"});
  f.notify.wait_for("READY=1");
  f.notify.wait_for("WATCHDOG=1");
  f.notify.wait_for("WATCHDOG=1");
  d.signal(SIGTERM);
  CHECK(d.wait_exit() == 0);
}

TEST_CASE("daemon: a second daemon on the same state_dir refuses to start", "[daemon]") {
  DaemonFixture f;
  f.write_config(DaemonFixture::local_node("01_node", f.src, "1h"));
  auto& d = f.start_ready();
  DaemonProcess second({f.config, f.dir / "other.sock", {}, {}, {}});
  CHECK(second.wait_exit() == 1);
  CHECK_THAT(second.log(), Catch::Contains("lock"));
  CHECK(d.request({{"command", "status"}})["ok"] == true);
}

TEST_CASE(
    "daemon: an unreachable node fails and retries while the others run, one worker each "
    "in turn",
    "[daemon]") {
  DaemonFixture f;
  // Nothing listens on port 1 of 127.0.0.1: the connection is refused at once.
  const nlohmann::json down = {
      {"id", "down"},      {"type", "ssh"},    {"host", "127.0.0.1"},
      {"port", 1},         {"user", "nbtest"}, {"identity_file", f.dir / "no_key"},
      {"paths", {"/etc"}}, {"interval", "1s"}, {"jitter", "0s"}};
  f.write_config({down, DaemonFixture::local_node("a", f.src, "1s"),
                  DaemonFixture::local_node("b", f.src + "/sub", "1s")},
                 {{"max_concurrent_jobs", 1}});
  auto& d = f.start_ready();
  // With one worker, every node still gets its turn: the queue is first come, first served.
  const auto status = d.wait_status([](const json& s) {
    const auto failing = DaemonProcess::node(s, "down");
    return failing["consecutive_failures"].get<int>() >= 2 &&
           DaemonProcess::node(s, "a")["runs"]["ok"].get<int>() >= 2 &&
           DaemonProcess::node(s, "b")["runs"]["ok"].get<int>() >= 2;
  });
  const auto failing = DaemonProcess::node(status, "down");
  CHECK(failing["last_run"]["result"] == "failed");
  CHECK_THAT(failing["last_run"]["error"].get<std::string>(), Catch::Contains("127.0.0.1"));
  CHECK(failing["last_success"].is_null());
  CHECK(DaemonProcess::node(status, "a")["consecutive_failures"] == 0);
  CHECK_THAT(d.log(), Catch::Contains("down backup failed"));
  const auto metrics = d.request({{"command", "metrics"}})["metrics"].get<std::string>();
  CHECK_THAT(metrics, Catch::Contains("nodebackup_consecutive_failures{node=\"down\"}"));
  d.signal(SIGTERM);
  CHECK(d.wait_exit() == 0);
}

TEST_CASE("daemon: with prune_interval it prunes after backups, keeping what retain says",
          "[daemon]") {
  DaemonFixture f;
  auto node = DaemonFixture::local_node("01_node", f.src, "1s");
  node["retain"] = {{"last", 2}, {"daily", 0}, {"weekly", 0}};
  f.write_config(node, {{"prune_interval", "1s"}});
  auto& d = f.start_ready();
  wait_for_runs(d, "01_node", 5);
  d.wait_for_log("prune: removed");
  d.signal(SIGTERM);
  REQUIRE(d.wait_exit() == 0);
  // Two kept by the last prune, and at most the one run that ended after it.
  CHECK(f.snapshots("01_node").size() <= 3);
  CHECK(f.ctl({"verify"}).exit_code == 0);
}
