// How the daemon treats a failure by its kind (a refused host key is not retried like a
// dropped connection), and what status says about a node after a restart.
#include <catch2/catch.hpp>

#include <csignal>
#include <ctime>

#include "daemon/daemon_fixture.h"
#include "support/sshd_fixture.h"
#include "support/temp_dir.h"
#include "util/clock.h"

using namespace nb::test;
using json = nlohmann::json;

namespace {

json ssh_node(const SshServer& server, const std::string& known_hosts) {
  return json{{"id", "02_node"},
              {"type", "ssh"},
              {"host", "127.0.0.1"},
              {"port", server.port()},
              {"user", SshServer::kUser},
              {"identity_file", server.dir() + "/user_key"},
              {"known_hosts", known_hosts},
              {"paths", {"/etc/hostname"}},
              {"interval", "1h"},
              {"jitter", "0s"}};
}

int64_t parse_rfc3339(const std::string& text) {
  std::tm tm{};
  REQUIRE(::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm) != nullptr);
  return static_cast<int64_t>(::timegm(&tm)) * 1'000'000'000;
}

}  // namespace

TEST_CASE(
    "daemon: a refused host key is a permanent failure, retried at the interval or when "
    "the config changes",
    "[daemon][ssh]") {
  auto& server = SshServer::instance();
  DaemonFixture f;
  const std::string empty_known_hosts = f.dir / "known_hosts";
  write_file(empty_known_hosts, "");
  f.write_config(ssh_node(server, empty_known_hosts));
  auto& d = f.start_ready();
  const auto status = d.wait_status([](const json& s) {
    return DaemonProcess::node(s, "02_node")["consecutive_failures"].get<int>() >= 1 &&
           !DaemonProcess::node(s, "02_node")["next_run"].is_null();
  });
  const auto node = DaemonProcess::node(status, "02_node");
  CHECK(node["state"] == "failing");
  CHECK(node["last_run"]["failure"] == "permanent");
  CHECK_THAT(node["last_run"]["error"].get<std::string>(), Catch::Contains("host key"));
  // Not the 30 s backoff of a transient failure: the next try is the regular one, an hour on.
  CHECK(parse_rfc3339(node["next_run"].get<std::string>()) - nb::now_ns() >
        int64_t{30} * 60 * 1'000'000'000);

  // The operator fixes known_hosts in the config: the node is tried again at once.
  f.write_config(ssh_node(server, server.dir() + "/known_hosts"));
  d.signal(SIGHUP);
  const auto fixed = wait_for_runs(d, "02_node", 1);
  CHECK(fixed["result"] == "ok");
  d.signal(SIGTERM);
  CHECK(d.wait_exit() == 0);
}

TEST_CASE("daemon: after a restart, status shows each node's last run from its newest snapshot",
          "[daemon]") {
  DaemonFixture f;
  f.write_config(DaemonFixture::local_node("01_node", f.src, "1h"));
  {
    auto& d = f.start_ready();
    wait_for_runs(d, "01_node", 1);
    d.signal(SIGTERM);
    REQUIRE(d.wait_exit() == 0);
  }
  auto& d = f.start_ready();
  const auto node = DaemonProcess::node(d.request({{"command", "status"}}), "01_node");
  CHECK(node["runs"]["ok"] == 0);  // this process has not run it
  REQUIRE(node["last_run"].is_object());
  CHECK(node["last_run"]["result"] == "ok");
  CHECK(node["last_run"]["source"] == "snapshot");
  const auto newest = f.snapshots("01_node").back();
  CHECK(node["last_run"]["snapshot"] == newest["id"]);
  CHECK(node["last_run"]["new"].get<int>() > 0);
  CHECK(node["last_run"]["new"] == newest["new"]);
  CHECK(node["last_run"]["scanned"] == newest["scanned"]);
  CHECK_FALSE(node["last_success"].is_null());
  const auto table = f.ctl({"-s", f.socket, "status"});
  CHECK_THAT(table.out, !Catch::Contains("never"));
  d.signal(SIGTERM);
  CHECK(d.wait_exit() == 0);
}

TEST_CASE(
    "daemon: a node whose find sends garbage fails its runs, and the daemon serves the others",
    "[daemon][ssh][hostile]") {
  auto& server = SshServer::hostile();
  server.set_hostile_mode("find-garbage");  // a mode field std::stoul threw on, in 0.1.0
  DaemonFixture f;
  auto node = ssh_node(server, server.dir() + "/known_hosts");
  node["transport"] = "exec";
  node["paths"] = {f.dir.path()};
  f.write_config({node, DaemonFixture::local_node("01_node", f.src, "1s")});
  auto& d = f.start_ready();
  const auto status = d.wait_status([](const json& s) {
    return DaemonProcess::node(s, "02_node")["consecutive_failures"].get<int>() >= 1 &&
           DaemonProcess::node(s, "01_node")["runs"]["ok"].get<int>() >= 2;
  });
  const auto hostile = DaemonProcess::node(status, "02_node");
  CHECK(hostile["last_run"]["failure"] == "permanent");
  CHECK_THAT(hostile["last_run"]["error"].get<std::string>(), Catch::Contains("malformed record"));
  CHECK_THAT(d.log(), Catch::Contains("02_node backup failed"));
  CHECK(d.running());
  d.signal(SIGTERM);
  CHECK(d.wait_exit() == 0);
}
