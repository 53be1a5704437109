// A node's before/after hooks: run on the node (locally, or over the node's SSH connection),
// told the result, killed at their timeout, and a failing `before` fails the run and is
// reported.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>

#include <filesystem>

#include "daemon/daemon_fixture.h"
#include "support/script_server.h"
#include "support/sshd_fixture.h"

using namespace nb::test;
using json = nlohmann::json;

namespace {

json with_hooks(json node, json hooks) {
  node["hooks"] = std::move(hooks);
  node["stale_after"] = "1h";
  return node;
}

json webhook(const HttpSink& sink) {
  return {{"name", "ops"}, {"type", "webhook"}, {"url", sink.url("/events")}};
}

std::function<bool(const json&)> event_kind(const std::string& kind) {
  return [kind](const json& r) {
    const auto body = json::parse(r["body"].get<std::string>(), nullptr, false);
    return body.is_object() && body["kind"] == kind;
  };
}

std::map<std::string, std::string> env_file(const std::string& path) {
  std::map<std::string, std::string> out;
  std::istringstream in(read_whole(path));
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

json ssh_node(const SshServer& server, const std::string& id, const std::string& transport) {
  return {{"id", id},
          {"type", "ssh"},
          {"host", "127.0.0.1"},
          {"port", server.port()},
          {"user", SshServer::kUser},
          {"identity_file", server.dir() + "/user_key"},
          {"known_hosts", server.target().known_hosts},
          {"transport", transport},
          {"paths", {"/etc/hostname"}},
          {"interval", "1h"},
          {"jitter", "0s"}};
}

}  // namespace

TEST_CASE("hooks: a failing before fails the run, is reported, and after still sees it",
          "[daemon][hooks]") {
  HttpSink sink;
  DaemonFixture f;
  const std::string after_env = f.dir / "after.env";
  f.write_config(with_hooks(DaemonFixture::local_node("01_node", f.src, "1h"),
                            {{"before", "echo preparing the dump; echo no space >&2; exit 3"},
                             {"after", "env | grep ^NB_ > '" + after_env + "'"}}),
                 {{"notify", {webhook(sink)}}});
  auto& d = f.start_ready();
  const auto run = f.ctl({"run", "01_node", "--wait"});
  CHECK(run.exit_code == 1);
  const auto status = d.request({{"command", "status"}});
  const auto last = DaemonProcess::node(status, "01_node")["last_run"];
  CHECK(last["result"] == "failed");
  CHECK_THAT(last["error"].get<std::string>(), Catch::Contains("before hook"));
  CHECK_THAT(last["error"].get<std::string>(), Catch::Contains("exit status 3"));
  CHECK(f.snapshots("01_node").size() == 0);
  // Its output is in the log under the node's name.
  d.wait_for_log("01_node: before hook: preparing the dump");
  d.wait_for_log("01_node: before hook: no space");
  const auto failed = sink.wait_for(1, event_kind("run_failed"), "run_failed");
  CHECK_THAT(failed[0]["body"].get<std::string>(), Catch::Contains("before hook"));
  wait_until([&] { return std::filesystem::exists(after_env); }, "the after hook");
  const auto env = env_file(after_env);
  CHECK(env.at("NB_RESULT") == "failed");
  CHECK_THAT(env.at("NB_ERROR"), Catch::Contains("before hook"));
  CHECK(env.at("NB_HOOK") == "after");
}

TEST_CASE("hooks: after is told the result of a successful run", "[daemon][hooks]") {
  DaemonFixture f;
  const std::string after_env = f.dir / "after.env";
  const std::string before_ran = f.dir / "before.ran";
  f.write_config(with_hooks(DaemonFixture::local_node("01_node", f.src, "1h"),
                            {{"before", "echo $NB_NODE $NB_HOOK > '" + before_ran + "'"},
                             {"after", "env | grep ^NB_ > '" + after_env + ".tmp'; mv '" +
                                           after_env + ".tmp' '" + after_env + "'"}}));
  auto& d = f.start_ready();
  wait_for_runs(d, "01_node", 1);
  wait_until([&] { return std::filesystem::exists(after_env); }, "the after hook");
  CHECK(read_whole(before_ran) == "01_node before\n");
  const auto env = env_file(after_env);
  CHECK(env.at("NB_NODE") == "01_node");
  CHECK(env.at("NB_RESULT") == "ok");
  CHECK(env.at("NB_SCANNED") == "6");
  CHECK(env.at("NB_NEW") == "6");
  CHECK(env.at("NB_SNAPSHOT") == f.snapshots("01_node")[0]["id"]);
  CHECK(env.at("NB_ERROR").empty());
}

TEST_CASE("hooks: a hook that hangs is killed at its timeout, and with continue the run goes on",
          "[daemon][hooks]") {
  HttpSink sink;
  DaemonFixture f;
  const std::string pid_file = f.dir / "hook.pid";
  f.write_config(with_hooks(DaemonFixture::local_node("01_node", f.src, "1h"),
                            {{"before", "sleep 600 & echo $! > '" + pid_file + "'; wait"},
                             {"timeout", "1s"},
                             {"before_failure", "continue"}}),
                 {{"notify", {webhook(sink)}}});
  auto& d = f.start_ready();
  const auto last = wait_for_runs(d, "01_node", 1);
  CHECK(last["result"] == "ok");
  const auto event = sink.wait_for(1, event_kind("hook_failed"), "hook_failed");
  CHECK_THAT(event[0]["body"].get<std::string>(), Catch::Contains("timed out"));
  CHECK_THAT(d.log(), Catch::Contains("the run goes on"));
  // The hook's own child went with it: the whole process group is killed.
  const pid_t sleeper = std::stoi(read_whole(pid_file));
  wait_until([&] { return ::kill(sleeper, 0) != 0; }, "the hook's child to be killed");
}

TEST_CASE("hooks: on an ssh node the hooks run on the node, over sftp and exec",
          "[daemon][hooks][ssh]") {
  auto& server = SshServer::instance();
  DaemonFixture f;
  // Where the node's user can write: the hooks leave their trace there.
  const std::string out = f.dir / "remote";
  std::filesystem::create_directories(out);
  REQUIRE(::chmod(out.c_str(), 0777) == 0);
  REQUIRE(::chmod(f.dir.path().c_str(), 0755) == 0);
  const json hooks = {{"before", "id -un > " + out + "/$NB_NODE.before"},
                      {"after", "echo \"$NB_RESULT $NB_SCANNED\" > " + out + "/$NB_NODE.after"}};
  f.write_config({with_hooks(ssh_node(server, "02_node", "sftp"), hooks),
                  with_hooks(ssh_node(server, "03_node", "exec"), hooks)});
  auto& d = f.start_ready();
  for (const std::string id : {"02_node", "03_node"}) {
    REQUIRE(f.ctl({"run", id, "--wait"}).exit_code == 0);
    wait_until([&] { return std::filesystem::exists(out + "/" + id + ".after"); },
               id + "'s after hook");
    CHECK(read_whole(out + "/" + id + ".before") == std::string(SshServer::kUser) + "\n");
    CHECK(read_whole(out + "/" + id + ".after") == "ok 1\n");
  }
  (void)d;
}

TEST_CASE("hooks: on an ssh node a hook that hangs is killed on the node at its timeout",
          "[daemon][hooks][ssh]") {
  auto& server = SshServer::instance();
  DaemonFixture f;
  auto node =
      with_hooks(ssh_node(server, "02_node", "sftp"), {{"before", "sleep 613"}, {"timeout", "1s"}});
  f.write_config(node);
  auto& d = f.start_ready();
  const auto run = f.ctl({"run", "02_node", "--wait"});
  CHECK(run.exit_code == 1);
  const auto status = d.request({{"command", "status"}});
  CHECK_THAT(DaemonProcess::node(status, "02_node")["last_run"]["error"].get<std::string>(),
             Catch::Contains("timed out"));
  wait_until(
      [&] {
        // This hook's own sleep: other tests run commands as the same user at the same time.
        return run_process({"/usr/bin/pgrep", "-u", SshServer::kUser, "-f", "^sleep 613$"})
                   .exit_code != 0;
      },
      "the hook's sleep to be killed on the node");
}

TEST_CASE("hooks: nodebackupd --run-once runs them around its runs too", "[daemon][hooks]") {
  DaemonFixture f;
  const std::string trace = f.dir / "trace";
  f.write_config(with_hooks(DaemonFixture::local_node("01_node", f.src, "1h"),
                            {{"before", "echo before >> '" + trace + "'"},
                             {"after", "echo after $NB_RESULT >> '" + trace + "'"}}));
  REQUIRE(run_process({NB_DAEMON_BIN, "-c", f.config, "--run-once"}).exit_code == 0);
  CHECK(read_whole(trace) == "before\nafter ok\n");
  f.write_config(
      with_hooks(DaemonFixture::local_node("01_node", f.src, "1h"),
                 {{"before", "exit 1"}, {"after", "echo after $NB_RESULT >> '" + trace + "'"}}));
  const auto failed = run_process({NB_DAEMON_BIN, "-c", f.config, "--run-once"});
  CHECK(failed.exit_code == 1);
  CHECK_THAT(failed.err, Catch::Contains("before hook"));
  CHECK(read_whole(trace) == "before\nafter ok\nafter failed\n");
}
