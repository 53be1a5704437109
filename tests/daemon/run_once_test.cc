// nodebackupd --check-config / --run-once and nodebackupctl's repository commands, driven as
// processes the way an operator (or a cron job) would.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/temp_dir.h"
#include "support/test_config.h"
#include "util/file.h"

using namespace nb;
using namespace nb::test;

namespace {

struct Setup {
  TempDir dir;
  std::string config = dir / "config.json";
  std::string src = dir / "src";

  explicit Setup(const nlohmann::json& extra_nodes = nlohmann::json::array()) {
    for (int i = 0; i < 5; ++i)
      write_file(src + "/f" + std::to_string(i), "file " + std::to_string(i));
    write_file(src + "/sub/a", "a");
    auto nodes = nlohmann::json::array({{{"id", "01_node"}, {"type", "local"}, {"paths", {src}}}});
    nodes.insert(nodes.end(), extra_nodes.begin(), extra_nodes.end());
    write_config(nodes);
  }

  void write_config(const nlohmann::json& nodes) {
    test::write_config(config, test_config(dir.path(), nodes));
  }

  ProcessResult daemon(std::vector<std::string> args) {
    args.insert(args.begin(), {NB_DAEMON_BIN, "-c", config});
    return run_process(args);
  }
  ProcessResult ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {NB_CTL_BIN, "-c", config});
    return run_process(args);
  }
  nlohmann::json snapshots() {
    const auto r = ctl({"snapshots", "01_node", "--json"});
    REQUIRE(r.exit_code == 0);
    return nlohmann::json::parse(r.out);
  }
};

}  // namespace

TEST_CASE("run-once twice, then a change: counts in snapshots --json, restore, verify", "[cli]") {
  Setup s;
  REQUIRE(s.daemon({"--run-once"}).exit_code == 0);
  const auto second = s.daemon({"--run-once"});
  REQUIRE(second.exit_code == 0);
  CHECK_THAT(second.err, Catch::Contains("01_node backup complete: 6 scanned, 6 unchanged"));
  write_file(s.src + "/f2", "changed!", 1800);
  REQUIRE(s.daemon({"--run-once", "--node", "01_node"}).exit_code == 0);

  const auto list = s.snapshots();
  REQUIRE(list.size() == 3);
  for (const char* key :
       {"id", "node", "started", "finished", "partial", "scanned", "unchanged", "touched",
        "changed", "new", "deleted", "skipped", "errors", "bytes_read", "bytes_stored"}) {
    CHECK(list[1].contains(key));
  }
  CHECK(list[0]["new"] == 6);
  CHECK(list[1]["bytes_read"] == 0);
  CHECK(list[1]["bytes_stored"] == 0);
  CHECK(list[2]["changed"] == 1);
  CHECK(list[2]["bytes_stored"] == 8);

  const std::string target = s.dir / "restored";
  const auto restored = s.ctl({"restore", "01_node", "latest", "--target", target});
  CHECK(restored.exit_code == 0);
  CHECK(describe_tree(target + s.src) == describe_tree(s.src));
  const auto one =
      s.ctl({"restore", "01_node", list[0]["id"], s.src + "/f2", "--target", s.dir / "old"});
  CHECK(one.exit_code == 0);
  CHECK(read_whole(s.dir / "old" + s.src + "/f2") == "file 2");

  const auto ls = s.ctl({"ls", "01_node", "latest"});
  CHECK(ls.exit_code == 0);
  CHECK_THAT(ls.out, Catch::Contains(s.src + "/sub/a"));
  CHECK(s.ctl({"verify"}).exit_code == 0);
}

TEST_CASE("exit codes: bad config 78 naming the field, usage 2, unknown node 2", "[cli]") {
  Setup s;
  const auto good = s.daemon({"--check-config"});
  CHECK(good.exit_code == 0);
  CHECK_THAT(good.out, Catch::Contains("01_node"));

  write_file(s.config, "{\"repository\": \"relative/repo\", \"state_dir\": \"/x\", \"nodes\": []}");
  const auto bad = s.daemon({"--check-config"});
  CHECK(bad.exit_code == 78);
  CHECK_THAT(bad.err, Catch::Contains(s.config));
  CHECK_THAT(bad.err, Catch::Contains("repository"));
  CHECK(s.daemon({"--run-once"}).exit_code == 78);

  Setup fine;
  CHECK(fine.daemon({"--no-such-option"}).exit_code == 2);
  CHECK(fine.daemon({"--run-once", "--node", "99_node"}).exit_code == 2);
  CHECK(fine.ctl({"frobnicate"}).exit_code == 2);
  CHECK(fine.ctl({"restore", "01_node", "latest"}).exit_code == 2);  // no --target
  const auto version = run_process({NB_DAEMON_BIN, "--version"});
  CHECK(version.exit_code == 0);
  CHECK_THAT(version.out, Catch::Contains(NB_VERSION));
}

TEST_CASE("a second process on the same state_dir is refused while the first holds it", "[cli]") {
  Setup s;
  std::filesystem::create_directories(s.dir / "state");
  UniqueFd held(::open((s.dir / "state/lock").c_str(), O_RDWR | O_CREAT, 0600));
  REQUIRE(::flock(held.get(), LOCK_EX) == 0);
  const auto refused = s.daemon({"--run-once"});
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::Contains("another nodebackup process"));
  held.reset();  // as if the holder died: the kernel lock is gone with it
  CHECK(s.daemon({"--run-once"}).exit_code == 0);
}

TEST_CASE("a failing node makes run-once exit 1 and leaves the others backed up", "[cli]") {
  Setup s(nlohmann::json::array({{{"id", "02_node"},
                                  {"type", "ssh"},
                                  {"host", "127.0.0.1"},
                                  {"port", 1},
                                  {"user", "backup"},
                                  {"identity_file", "/nonexistent/id"},
                                  {"paths", {"/etc"}}}}));
  const auto r = s.daemon({"--run-once"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("02_node backup failed"));
  CHECK(s.snapshots().size() == 1);
}

TEST_CASE("a corrupt hash store does not stop a run: warning, then a full read", "[cli]") {
  Setup s;
  REQUIRE(s.daemon({"--run-once"}).exit_code == 0);
  REQUIRE(write_file_durably(s.dir / "state/file_hashes.json", "{not json"));
  ::unlink((s.dir / "state/file_hashes.json.prev").c_str());
  const auto r = s.daemon({"--run-once"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("file_hashes.json"));
  CHECK_THAT(r.err, Catch::Contains("empty hash store"));
  // Everything is read again, but the repository already has it all.
  const auto list = s.snapshots();
  CHECK(list.back()["new"] == 6);
  CHECK(list.back()["bytes_stored"] == 0);
}

TEST_CASE("run-once backs up max_concurrent_jobs nodes at once", "[cli]") {
  // Each node's before hook marks that it started and waits (bounded) for the other's mark: run
  // one after the other, the first would give up waiting and fail.
  TempDir marks;
  const auto barrier = [&](const std::string& mine, const std::string& theirs) {
    return "touch " + marks / mine + "; i=0; while [ ! -e " + marks / theirs +
           " ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; [ -e " + marks / theirs + " ]";
  };
  Setup s;
  write_file(s.dir / "src2/f", "two");
  auto nodes = nlohmann::json::array({{{"id", "01_node"},
                                       {"type", "local"},
                                       {"paths", {s.src}},
                                       {"hooks", {{"before", barrier("one", "two")}}}},
                                      {{"id", "02_node"},
                                       {"type", "local"},
                                       {"paths", {s.dir / "src2"}},
                                       {"hooks", {{"before", barrier("two", "one")}}}}});
  s.write_config(nodes);
  const auto r = s.daemon({"--run-once"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(s.snapshots().size() == 1);
}
