// nodebackupctl prune and verify --read-data, driven as processes the way an operator would.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/temp_dir.h"
#include "support/test_config.h"

using namespace nb;
using namespace nb::test;

namespace {

// One local node kept as `last 1` and no other rule, backed up three times with a change
// each time: two snapshots and two old versions of f0 (and their listings) to prune.
struct PruneSetup {
  TempDir dir;
  std::string config = dir / "config.json";
  std::string src = dir / "src";

  PruneSetup() {
    write_file(src + "/f0", "version 0");
    write_file(src + "/f1", "stays");
    write_config(
        config,
        test_config(dir.path(), {{"id", "01_node"}, {"type", "local"}, {"paths", {src}}},
                    {{"defaults", {{"retain", {{"last", 1}, {"daily", 0}, {"weekly", 0}}}}}}));
    for (int i = 1; i <= 3; ++i) {
      REQUIRE(run_process({NB_DAEMON_BIN, "-c", config, "--run-once"}).exit_code == 0);
      write_file(src + "/f0", "version " + std::to_string(i), 1000 - i);
    }
  }

  ProcessResult ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {NB_CTL_BIN, "-c", config});
    return run_process(args);
  }
  size_t snapshot_count() {
    const auto r = ctl({"snapshots", "01_node", "--json"});
    REQUIRE(r.exit_code == 0);
    return nlohmann::json::parse(r.out).size();
  }
};

}  // namespace

TEST_CASE("nodebackupctl prune --dry-run shows what would go and deletes nothing", "[cli]") {
  PruneSetup s;
  const auto dry = s.ctl({"prune", "--dry-run", "--json"});
  REQUIRE(dry.exit_code == 0);
  const auto report = nlohmann::json::parse(dry.out);
  CHECK(report["dry_run"] == true);
  CHECK(report["snapshots_removed"] == 2);
  CHECK(report["objects_removed"] == 4);
  REQUIRE(report["nodes"].size() == 1);
  const auto& snapshots = report["nodes"][0]["snapshots"];
  REQUIRE(snapshots.size() == 3);
  CHECK(snapshots[0]["keep"] == false);
  CHECK(snapshots[2]["keep"] == true);
  CHECK(snapshots[2]["reasons"] == nlohmann::json({"latest", "last"}));
  CHECK(s.snapshot_count() == 3);

  const auto text = s.ctl({"prune", "--dry-run"});
  REQUIRE(text.exit_code == 0);
  CHECK_THAT(text.out, Catch::Contains("would remove"));
  CHECK_THAT(text.out, Catch::Contains("prune (dry run): would remove 2 snapshots, 4 objects"));
  CHECK(s.snapshot_count() == 3);
}

TEST_CASE("nodebackupctl prune removes what the policy lets go and verify passes after", "[cli]") {
  PruneSetup s;
  const auto pruned = s.ctl({"prune", "--node", "01_node"});
  REQUIRE(pruned.exit_code == 0);
  CHECK_THAT(pruned.out, Catch::Contains("prune: removed 2 snapshots, 4 objects"));
  CHECK(s.snapshot_count() == 1);
  CHECK(s.ctl({"verify", "--read-data"}).exit_code == 0);
  CHECK(s.ctl({"verify", "--fast"}).exit_code == 0);
  const std::string target = s.dir / "restored";
  REQUIRE(s.ctl({"restore", "01_node", "latest", "--target", target}).exit_code == 0);
  CHECK(read_whole(target + s.src + "/f0") == "version 2");

  const auto again = s.ctl({"prune", "--json"});
  REQUIRE(again.exit_code == 0);
  CHECK(nlohmann::json::parse(again.out)["objects_removed"] == 0);
}

TEST_CASE("nodebackupctl prune and verify usage errors exit 2", "[cli]") {
  PruneSetup s;
  CHECK(s.ctl({"prune", "--node", "99_node"}).exit_code == 2);
  CHECK(s.ctl({"prune", "extra"}).exit_code == 2);
  CHECK(s.ctl({"verify", "--fast", "--read-data"}).exit_code == 2);
  CHECK(s.snapshot_count() == 3);
}
