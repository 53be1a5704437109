// The control socket under abuse, its peer check, and what it exports (DESIGN §7).
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <thread>

#include "common/control_client.h"
#include "daemon/daemon_fixture.h"

using namespace nb::test;
using json = nlohmann::json;

namespace {

// A raw connection, for sending what nodebackupctl never would.
nb::UniqueFd raw_connect(const std::string& path) {
  nb::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ::sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
  REQUIRE(::connect(fd.get(), reinterpret_cast<::sockaddr*>(&addr), sizeof(addr)) == 0);
  return fd;
}

// Everything the daemon sends until it closes the connection.
std::string read_until_closed(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

json ask(const std::string& socket, const json& request) {
  auto client = nb::ControlClient::connect(socket);
  REQUIRE(client);
  REQUIRE(client->send(request));
  auto reply = client->receive(std::chrono::seconds(120));
  REQUIRE(reply);
  return *reply;
}

}  // namespace

TEST_CASE("control socket: garbage, unknown commands, huge lines and silent clients",
          "[daemon][socket]") {
  DaemonFixture f;
  f.write_config(DaemonFixture::local_node("01_node", f.src, "1h"));
  auto& d = f.start_ready();
  struct ::stat st;
  REQUIRE(::stat(f.socket.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0660);

  // A client that connects and never writes holds no one else up.
  auto silent = raw_connect(f.socket);

  auto client = nb::ControlClient::connect(f.socket);
  REQUIRE(client);
  for (const char* line :
       {"garbage\n", "[1,2]\n", "{\"command\": 42}\n", "{\"command\":\"nope\"}\n",
        "{\"command\":\"run\"}\n", "{\"command\":\"run\",\"node\":\"zz\"}\n"}) {
    REQUIRE(::write(raw_connect(f.socket).get(), line, 0) == 0);  // connect-and-leave, too
    auto raw = raw_connect(f.socket);
    REQUIRE(::write(raw.get(), line, std::strlen(line)) > 0);
    ::shutdown(raw.get(), SHUT_WR);
    const auto reply = json::parse(read_until_closed(raw.get()));
    CHECK(reply["ok"] == false);
    CHECK(reply["error"].get<std::string>().size() > 0);
  }
  // The same connection goes on after an error reply.
  REQUIRE(client->send({{"command", "nope"}}));
  CHECK((*client->receive(std::chrono::seconds(120)))["ok"] == false);
  REQUIRE(client->send({{"command", "status"}}));
  CHECK((*client->receive(std::chrono::seconds(120)))["ok"] == true);

  // 1 MiB without a newline: an error reply, then the connection is closed.
  auto huge = raw_connect(f.socket);
  const std::string mib(1 << 20, 'x');
  std::thread writer([&] { (void)::send(huge.get(), mib.data(), mib.size(), MSG_NOSIGNAL); });
  const auto huge_reply = read_until_closed(huge.get());
  writer.join();
  CHECK_THAT(huge_reply, Catch::Contains("longer than 64 KiB"));

  CHECK(ask(f.socket, {{"command", "status"}})["ok"] == true);
  // The silent client is eventually disconnected rather than kept forever.
  CHECK(read_until_closed(silent.get()).empty());
  d.signal(SIGTERM);
  CHECK(d.wait_exit() == 0);
}

TEST_CASE("control socket: 300 idle clients cannot lock out a status request", "[daemon][socket]") {
  DaemonFixture f;
  f.write_config(DaemonFixture::local_node("01_node", f.src, "1h"));
  auto& d = f.start_ready();
  std::vector<nb::UniqueFd> idle;
  for (int i = 0; i < 300; ++i) idle.push_back(raw_connect(f.socket));
  // Each status below arrives at a full table of idle sessions: the idlest one makes room.
  for (int i = 0; i < 3; ++i) CHECK(ask(f.socket, {{"command", "status"}})["ok"] == true);
  // The first connections made were the ones dropped: they see the end of the stream.
  CHECK(read_until_closed(idle.front().get()).empty());
  d.signal(SIGTERM);
  CHECK(d.wait_exit() == 0);
}

TEST_CASE("control socket: 200 concurrent clients are each answered or dropped, never stalled",
          "[daemon][socket]") {
  DaemonFixture f;
  f.write_config(DaemonFixture::local_node("01_node", f.src, "1h"));
  auto& d = f.start_ready();
  // At capacity a connection that has not sent its request yet may be dropped to admit a
  // newer one: that client sees the end of the stream, never a stall.
  std::atomic<int> answered = 0, refused = 0, broken = 0;
  std::vector<std::thread> clients;
  for (int i = 0; i < 200; ++i) {
    clients.emplace_back([&] {
      auto client = nb::ControlClient::connect(f.socket);
      if (!client || !client->send({{"command", "status"}})) {
        ++refused;  // dropped before it could write
        return;
      }
      auto reply = client->receive(std::chrono::seconds(120));
      if (!reply) {
        ++(reply.error().code() == ETIMEDOUT ? broken : refused);
      } else if ((*reply)["ok"] == true) {
        ++answered;
      } else if ((*reply)["error"].get<std::string>().find("too many") != std::string::npos) {
        ++refused;
      } else {
        ++broken;
      }
    });
  }
  for (auto& t : clients) t.join();
  CHECK(broken == 0);
  CHECK(answered + refused == 200);
  CHECK(answered >= 64);
  CHECK(ask(f.socket, {{"command", "status"}})["ok"] == true);
  d.signal(SIGTERM);
  CHECK(d.wait_exit() == 0);
}

TEST_CASE("control socket: a peer of another uid outside the group is refused, a member is not",
          "[daemon][socket]") {
  DaemonFixture f;
  f.write_config(DaemonFixture::local_node("01_node", f.src, "1h"));
  f.start_ready();
  // Even with the file opened up by mistake, SO_PEERCRED keeps the stranger out.
  REQUIRE(::chmod(f.socket.c_str(), 0666) == 0);
  REQUIRE(::chmod(f.dir.path().c_str(), 0755) == 0);
  const auto r = run_process({"/usr/bin/setpriv", "--reuid=nbtest", "--regid=nbtest",
                              "--clear-groups", NB_CTL_BIN, "-s", f.socket, "status"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("permission denied"));
  // The same user with the socket's group (root's, here) as a supplementary group is let in.
  const auto member = run_process({"/usr/bin/setpriv", "--reuid=nbtest", "--regid=nbtest",
                                   "--groups=0", NB_CTL_BIN, "-s", f.socket, "status"});
  CHECK(member.exit_code == 0);
  CHECK_THAT(member.out, Catch::Contains("01_node"));
  CHECK(ask(f.socket, {{"command", "status"}})["ok"] == true);
}

TEST_CASE("control socket: metrics pass promtool, and the textfile is written after a run",
          "[daemon][socket]") {
  DaemonFixture f;
  const std::string textfile = f.dir / "nodebackup.prom";
  f.write_config(DaemonFixture::local_node("01_node", f.src, "1h"),
                 {{"metrics_textfile", textfile}});
  auto& d = f.start_ready();
  wait_for_runs(d, "01_node", 1);
  const auto metrics = f.ctl({"-s", f.socket, "metrics"});
  REQUIRE(metrics.exit_code == 0);
  CHECK_THAT(metrics.out,
             Catch::Contains("nodebackup_last_run_files{node=\"01_node\",outcome=\"new\"} 6"));
  CHECK_THAT(metrics.out,
             Catch::Contains("nodebackup_runs_total{node=\"01_node\",result=\"ok\"} 1"));
  write_file(f.dir / "metrics.txt", metrics.out, 0);
  const auto checked =
      run_process({"/bin/sh", "-c", "promtool check metrics < " + f.dir / "metrics.txt"});
  CHECK(checked.exit_code == 0);
  INFO(checked.out + checked.err);

  wait_until([&] { return ::access(textfile.c_str(), R_OK) == 0; }, "the metrics textfile");
  const auto file_checked = run_process({"/bin/sh", "-c", "promtool check metrics < " + textfile});
  CHECK(file_checked.exit_code == 0);
  CHECK_THAT(read_whole(textfile), Catch::Contains("nodebackup_last_success_timestamp_seconds"));
}

TEST_CASE("nodebackupctl: status, diff and run against the daemon, exit 3 without one",
          "[daemon][cli]") {
  DaemonFixture f;
  f.write_config(DaemonFixture::local_node("01_node", f.src, "1h"));
  auto& d = f.start_ready();
  wait_for_runs(d, "01_node", 1);

  const auto table = f.ctl({"status"});  // the socket comes from the config
  REQUIRE(table.exit_code == 0);
  CHECK_THAT(table.out,
             Catch::Contains("NODE") && Catch::Contains("01_node") && Catch::Contains("6/6"));
  const auto status_json = f.ctl({"status", "--json"});
  REQUIRE(status_json.exit_code == 0);
  CHECK(json::parse(status_json.out)["nodes"][0]["id"] == "01_node");

  write_file(f.src + "/f1", "different", 1800);
  write_file(f.src + "/brand-new", "x", 1800);
  const auto diff = f.ctl({"diff", "01_node", "--json"});
  REQUIRE(diff.exit_code == 0);
  const auto plan = json::parse(diff.out);
  CHECK(plan["to_read"] == 2);
  CHECK(plan["unchanged"] == 5);
  std::map<std::string, std::string> reasons;
  for (const auto& file : plan["files"]) reasons[file["path"]] = file["reason"];
  CHECK(reasons[f.src + "/f1"] == "metadata");
  CHECK(reasons[f.src + "/brand-new"] == "new");
  // A diff stores nothing.
  CHECK(f.snapshots("01_node").size() == 1);

  const auto run = f.ctl({"run", "01_node", "--wait"});
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.out, Catch::Contains("1 changed, 1 new"));
  CHECK(f.ctl({"run", "no_such_node"}).exit_code == 1);

  d.signal(SIGTERM);
  REQUIRE(d.wait_exit() == 0);
  const auto gone = f.ctl({"status"});
  CHECK(gone.exit_code == 3);
  CHECK_THAT(gone.err, Catch::Contains(f.socket));
}
