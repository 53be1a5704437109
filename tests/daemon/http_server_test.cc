// The dashboard's HTTP side as a process (issue 15): /metrics for Prometheus, the /api shapes,
// what the listener refuses, and that no client of it can stall the daemon.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "daemon/http_fixture.h"
#include "support/http_client.h"

using namespace nb::test;
using json = nlohmann::json;

TEST_CASE("http: /metrics passes promtool and adds the repository size and snapshot counts",
          "[daemon][http]") {
  HttpFixture h;
  // The snapshot counts follow the runs: poll until the refresh after each node's run has
  // landed (each is read off the loop on its own; under a sanitizer one can trail the other).
  HttpReply reply;
  wait_until(
      [&] {
        reply = http_get(h.port, "/metrics");
        return reply.body.find("nodebackup_snapshots{node=\"01_node\"} 1") != std::string::npos &&
               reply.body.find("nodebackup_snapshots{node=\"02_node\"} 1") != std::string::npos &&
               reply.body.find("nodebackup_repository_size_bytes ") != std::string::npos;
      },
      "/metrics with the snapshot counts");
  CHECK(reply.status == 200);
  CHECK(reply.header("content-type").starts_with("text/plain; version=0.0.4"));
  CHECK_THAT(reply.body, Catch::Contains("nodebackup_last_run_success{node=\"01_node\"} 1"));
  write_file(h.f.dir / "metrics.txt", reply.body);
  const auto checked =
      run_process({"/bin/sh", "-c", "promtool check metrics < " + h.f.dir / "metrics.txt"});
  INFO(checked.out << checked.err);
  CHECK(checked.exit_code == 0);
}

TEST_CASE("http: /api has the shapes of status and snapshots --json", "[daemon][http]") {
  HttpFixture h;
  const auto status = http_get(h.port, "/api/status");
  REQUIRE(status.status == 200);
  CHECK(status.header("content-type") == "application/json");
  const auto api = json::parse(status.body);
  const auto control = h.daemon().request({{"command", "status"}});
  for (const auto& [key, value] : control.items()) CHECK(api.contains(key));
  CHECK(api["nodes"].size() == 2);
  CHECK(DaemonProcess::node(api, "01_node")["last_run"]["result"] == "ok");

  json snapshots;
  wait_until(
      [&] {
        snapshots = json::parse(http_get(h.port, "/api/nodes/01_node/snapshots").body);
        return snapshots.size() == 1;
      },
      "the node's snapshot in /api");
  CHECK(snapshots == h.f.snapshots("01_node"));

  const auto node = json::parse(http_get(h.port, "/api/nodes/01_node").body);
  CHECK(node["node"]["id"] == "01_node");
  CHECK(node["snapshots"] == snapshots);
  REQUIRE(node["runs"].size() == 1);
  CHECK(node["runs"][0]["result"] == "ok");
  CHECK(node["runs"][0]["snapshot"] == snapshots[0]["id"]);
  CHECK(node["runs"][0]["scanned"] == 6);

  CHECK(http_get(h.port, "/api/nodes/no_such_node").status == 404);
  CHECK(http_get(h.port, "/nope").status == 404);
}

TEST_CASE("http: only GET and HEAD are served", "[daemon][http]") {
  HttpFixture h;
  for (const char* method : {"POST", "PUT", "DELETE", "PATCH"}) {
    const auto reply = http_request(h.port, method, "/metrics");
    CHECK(reply.status == 405);
    CHECK(reply.header("allow") == "GET, HEAD");
  }
  const auto head = http_request(h.port, "HEAD", "/metrics");
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(std::stoul(head.header("content-length")) > 0);
}

TEST_CASE("http: a token file makes every request carry the bearer token", "[daemon][http]") {
  TempDir tokens;
  write_file(tokens / "token", "s3cret-token\n");
  REQUIRE(::chmod((tokens / "token").c_str(), 0600) == 0);
  HttpFixture h(json{{"http", {{"listen", "127.0.0.1:0"}, {"token_file", tokens / "token"}}}});
  const auto none = http_get(h.port, "/metrics");
  CHECK(none.status == 401);
  CHECK(none.header("www-authenticate").starts_with("Bearer"));
  CHECK(http_get(h.port, "/metrics", {"Authorization: Bearer wrong"}).status == 401);
  CHECK(http_get(h.port, "/metrics", {"Authorization: Bearer s3cret-token"}).status == 200);
}

TEST_CASE("http: a stalled request, 500 idle connections and a 10 MB header stall nothing",
          "[daemon][http]") {
  HttpFixture h;
  // A request that never finishes.
  auto stalled = http_connect(h.port);
  const std::string partial = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
  REQUIRE(::send(stalled.get(), partial.data(), partial.size(), MSG_NOSIGNAL) > 0);
  // 500 connections that say nothing.
  std::vector<nb::UniqueFd> idle;
  for (int i = 0; i < 500; ++i) idle.push_back(http_connect(h.port));
  // A 10 MB header: refused once past the limit, not buffered. The daemon may close the
  // connection while this is still being sent, so the send is non-blocking and best effort.
  auto huge = http_connect(h.port);
  REQUIRE(::fcntl(huge.get(), F_SETFL, O_NONBLOCK) == 0);
  const std::string head = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Huge: ";
  ::send(huge.get(), head.data(), head.size(), MSG_NOSIGNAL);
  const std::string filler(1 << 20, 'a');
  size_t sent = 0;
  for (int i = 0; i < 10; ++i) {
    const ssize_t n = ::send(huge.get(), filler.data(), filler.size(), MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  INFO("sent " << sent << " bytes of the huge header");

  // The control socket and the dashboard still answer.
  const auto status = h.daemon().request({{"command", "status"}});
  CHECK(status["ok"] == true);
  const auto metrics = http_get(h.port, "/metrics");
  CHECK(metrics.status == 200);
  CHECK(http_get(h.port, "/").status == 200);
  // The huge header was answered with a refusal or a closed connection, never a page.
  std::string answer;
  wait_until(
      [&] {
        char buffer[4096];
        const ssize_t n = ::recv(huge.get(), buffer, sizeof(buffer), 0);
        if (n > 0) answer.append(buffer, static_cast<size_t>(n));
        return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
      },
      "the daemon to close the connection with the huge header");
  CHECK(
      (answer.empty() || answer.starts_with("HTTP/1.1 431") || answer.starts_with("HTTP/1.1 400")));
  CHECK(h.daemon().running());
}

TEST_CASE("http: listening beyond loopback without TLS and a token is refused at config check",
          "[daemon][http]") {
  DaemonFixture f;
  f.write_config(DaemonFixture::local_node("01_node", f.src),
                 {{"http", {{"listen", "0.0.0.0:9810"}}}});
  const auto r = run_process({NB_DAEMON_BIN, "-c", f.config, "--check-config"});
  CHECK(r.exit_code == 78);
  CHECK_THAT(r.err, Catch::Contains(f.config));
  CHECK_THAT(r.err, Catch::Contains("http.listen"));
  CHECK_THAT(r.err, Catch::Contains("tls_cert, tls_key and token_file"));

  f.write_config(DaemonFixture::local_node("01_node", f.src), {{"http",
                                                                {{"listen", "0.0.0.0:9810"},
                                                                 {"tls_cert", f.dir / "cert.pem"},
                                                                 {"tls_key", f.dir / "key.pem"}}}});
  CHECK(run_process({NB_DAEMON_BIN, "-c", f.config, "--check-config"}).exit_code == 78);

  f.write_config(DaemonFixture::local_node("01_node", f.src),
                 {{"http",
                   {{"listen", "0.0.0.0:9810"},
                    {"tls_cert", f.dir / "cert.pem"},
                    {"tls_key", f.dir / "key.pem"},
                    {"token_file", f.dir / "token"}}}});
  CHECK(run_process({NB_DAEMON_BIN, "-c", f.config, "--check-config"}).exit_code == 0);
}

TEST_CASE("http: with tls_cert and tls_key the dashboard is served over HTTPS only",
          "[daemon][http]") {
  TempDir keys;
  const auto made =
      run_process({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                   "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                   "-keyout", keys / "key.pem", "-out", keys / "cert.pem"});
  INFO(made.err);
  REQUIRE(made.exit_code == 0);
  write_file(keys / "token", "tls-token\n");
  REQUIRE(::chmod((keys / "token").c_str(), 0600) == 0);
  HttpFixture h(json{{"http",
                      {{"listen", "127.0.0.1:0"},
                       {"tls_cert", keys / "cert.pem"},
                       {"tls_key", keys / "key.pem"},
                       {"token_file", keys / "token"}}}});
  CHECK_THAT(h.daemon().log(), Catch::Contains("on https://"));
  const auto metrics = https_get(h.port, "/metrics", {"Authorization: Bearer tls-token"});
  CHECK(metrics.status == 200);
  CHECK_THAT(metrics.body, Catch::Contains("nodebackup_info"));
  CHECK(https_get(h.port, "/metrics").status == 401);
  // Plain HTTP on the TLS port gets no page.
  CHECK(http_get(h.port, "/metrics", {"Authorization: Bearer tls-token"}).status != 200);
}

TEST_CASE("http: failed runs, which write no snapshot, are in the node's history and chart",
          "[daemon][http]") {
  DaemonFixture f;
  // Nothing listens on port 1: every run fails to connect.
  f.write_config(json::array({{{"id", "down_node"},
                               {"type", "ssh"},
                               {"host", "127.0.0.1"},
                               {"port", 1},
                               {"user", "backup"},
                               {"identity_file", f.dir / "no_key"},
                               {"paths", {"/etc"}},
                               {"interval", "1h"},
                               {"jitter", "0s"}}}),
                 kHttpLoopback);
  auto& d = f.start_ready();
  d.wait_status([](const json& s) {
    const auto n = DaemonProcess::node(s, "down_node");
    return n.is_object() && n["runs"]["failed"].get<uint64_t>() >= 1;
  });
  d.wait_for_log("dashboard and /metrics on");
  const int port = dashboard_port(d.log());
  json runs;
  wait_until(
      [&] {
        runs = json::parse(http_get(port, "/api/nodes/down_node").body)["runs"];
        return !runs.empty();
      },
      "the failed run in /api");
  CHECK(runs[0]["result"] == "failed");
  CHECK(runs[0]["snapshot"].is_null());
  CHECK_THAT(runs[0]["error"].get<std::string>(), Catch::Contains("127.0.0.1:1"));
  const auto page = http_get(port, "/nodes/down_node");
  CHECK_THAT(page.body, Catch::Contains("<g class=\"run failed\">"));
  CHECK_THAT(page.body, Catch::Contains("(" + std::to_string(runs.size()) + " failed)"));
}

TEST_CASE("http: the daemon's scheduled prune takes its snapshots off the dashboard",
          "[daemon][http]") {
  DaemonFixture f;
  f.write_config(DaemonFixture::local_node("01_node", f.src, "1h"),
                 {{"http", {{"listen", "127.0.0.1:0"}}},
                  {"prune_interval", "1h"},
                  {"defaults", {{"retain", {{"last", 1}, {"daily", 0}, {"weekly", 0}}}}}});
  // Two snapshots before the daemon starts: its history is read from the repository.
  for (int i = 0; i < 2; ++i) {
    REQUIRE(run_process({NB_DAEMON_BIN, "-c", f.config, "--run-once"}).exit_code == 0);
  }
  auto& d = f.start_ready();
  d.wait_for_log("dashboard and /metrics on");
  const int port = dashboard_port(d.log());
  const auto count = [&] {
    const auto reply = http_get(port, "/api/nodes/01_node/snapshots");
    return reply.status == 200 ? json::parse(reply.body).size() : 0;
  };
  wait_until([&] { return count() == 2; }, "the two --run-once snapshots in /api");
  // A run, then the first prune since start: one snapshot is kept.
  REQUIRE(f.ctl({"-s", f.socket, "run", "01_node", "--wait"}).exit_code == 0);
  d.wait_for_log("prune: removed 2 snapshots");
  wait_until([&] { return count() == 1; }, "the pruned snapshots gone from /api");
  CHECK(json::parse(http_get(port, "/api/nodes/01_node/snapshots").body) == f.snapshots("01_node"));
}
