// Several writers on one S3 repository (a real RGW): two daemons back up two nodes each while
// a third process prunes, and one of the three is SIGKILLed at a random instant, trial after
// trial. Afterwards verify is clean and every complete snapshot still listed restores exactly
// the tree it was taken of. The seed is printed so a failing run can be replayed
// (NB_KILL_SEED); NB_KILL_TRIALS changes the count.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/rgw_fixture.h"
#include "support/temp_dir.h"
#include "support/test_config.h"

extern char** environ;

using namespace nb;
using namespace nb::test;

namespace {

pid_t spawn(const std::vector<std::string>& argv) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  REQUIRE(rc == 0);
  return pid;
}

void reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
}

// One daemon's share of the fleet: its config, state_dir, and two nodes of its own.
struct Daemon {
  TempDir dir;
  std::string config = dir / "config.json";
  std::vector<std::string> nodes;

  Daemon(const std::string& repository, std::vector<std::string> ids) : nodes(std::move(ids)) {
    const auto& s = RgwServer::instance().settings();
    const std::string credentials = dir / "s3-credentials";
    write_file(credentials, "AWS_ACCESS_KEY_ID=" + s.access_key +
                                "\nAWS_SECRET_ACCESS_KEY=" + s.secret_key + "\n");
    ::chmod(credentials.c_str(), 0600);
    auto node_list = nlohmann::json::array();
    for (const auto& id : nodes) node_list.push_back(test::local_node(id, src(id)));
    // A short lease, so a killed holder blocks the others for seconds, not minutes.
    write_config(config, test_config(dir.path(), node_list,
                                     {{"repository", repository},
                                      {"defaults", {{"retain", {{"last", 3}}}}},
                                      {"s3",
                                       {{"endpoint", s.endpoint},
                                        {"region", s.region},
                                        {"credentials_file", credentials},
                                        {"lease", "6s"}}}}));
  }
  std::string src(const std::string& node) const { return dir / ("src-" + node); }
  std::vector<std::string> run_once() const { return {NB_DAEMON_BIN, "-c", config, "--run-once"}; }
  std::vector<std::string> prune() const { return {NB_CTL_BIN, "-c", config, "prune"}; }
  ProcessResult ctl(std::vector<std::string> args) const {
    args.insert(args.begin(), {NB_CTL_BIN, "-c", config});
    return run_process(args);
  }
};

uint32_t seed() {
  if (const char* s = std::getenv("NB_KILL_SEED")) return static_cast<uint32_t>(std::stoul(s));
  return std::random_device{}();
}

int trials() {
  if (const char* s = std::getenv("NB_KILL_TRIALS")) return std::stoi(s);
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return 6;  // the sanitizer builds check the same paths for races and leaks, not the odds
#else
  return 20;
#endif
}

}  // namespace

TEST_CASE(
    "two daemons and a prune on one S3 repository, one SIGKILLed at random each trial: "
    "verify stays clean and every complete snapshot restores",
    "[s3][daemon][concurrency]") {
  const std::string repository = "s3://" + RgwServer::instance().new_bucket() + "/fleet";
  const Daemon a(repository, {"01_node", "02_node"});
  const Daemon b(repository, {"03_node", "04_node"});
  const uint32_t s = seed();
  INFO("NB_KILL_SEED=" << s);
  std::mt19937 rng(s);
  std::map<std::string, std::string> expected;   // snapshot id → describe_tree of its source
  std::map<std::string, std::string> source_of;  // node → its source directory
  for (const auto* d : {&a, &b}) {
    for (const auto& node : d->nodes) source_of[node] = d->src(node);
  }
  int killed_runs = 0;
  for (int trial = 0; trial < trials(); ++trial) {
    // Each trial changes every node: a small file, and a larger one so packs are written.
    for (const auto& [node, src] : source_of) {
      write_file(src + "/trial.txt", node + " trial " + std::to_string(trial), 600);
      write_file(src + "/data.bin", random_bytes(size_t{1} << 20, rng()), 600);
    }
    const pid_t pids[3] = {spawn(a.run_once()), spawn(b.run_once()), spawn(a.prune())};
    const int victim = static_cast<int>(rng() % 3);
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 2000));  // a random instant
    ::kill(pids[victim], SIGKILL);
    for (pid_t pid : pids) reap(pid);
    killed_runs += victim < 2 ? 1 : 0;

    // Snapshots new since the last trial were taken of the sources as they are now.
    const auto listed = a.ctl({"snapshots", "--json"});
    REQUIRE(listed.exit_code == 0);
    for (const auto& snap : nlohmann::json::parse(listed.out)) {
      const std::string id = snap["node"].get<std::string>() + "/" + snap["id"].get<std::string>();
      if (snap["partial"].get<bool>() || expected.contains(id)) continue;
      expected[id] = describe_tree(source_of[snap["node"].get<std::string>()]);
    }
  }

  const auto verified = b.ctl({"verify"});
  INFO(verified.out << verified.err);
  CHECK(verified.exit_code == 0);
  const auto listed = b.ctl({"snapshots", "--json"});
  REQUIRE(listed.exit_code == 0);
  int restored = 0;
  for (const auto& snap : nlohmann::json::parse(listed.out)) {
    if (snap["partial"].get<bool>()) continue;
    const std::string node = snap["node"].get<std::string>();
    const std::string id = node + "/" + snap["id"].get<std::string>();
    INFO(id);
    REQUIRE(expected.contains(id));
    TempDir target;
    const auto r =
        b.ctl({"restore", node, snap["id"].get<std::string>(), "--target", target.path()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(describe_tree(target.path() + source_of[node]) == expected[id]);
    ++restored;
  }
  // At least each node's latest: the runs that were not killed did complete.
  CHECK(restored >= 4);
  INFO("runs killed: " << killed_runs);
}
