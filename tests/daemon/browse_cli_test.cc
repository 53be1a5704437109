// nodebackupctl cat and changes, and a node's dumps from the config through --run-once, driven
// as processes the way an operator would.
#include <catch2/catch.hpp>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/temp_dir.h"

using namespace nb;
using namespace nb::test;

namespace {

struct Setup {
  TempDir dir;
  std::string config = dir / "config.json";
  std::string src = dir / "src";
  std::string repo = dir / "repo";

  explicit Setup(const std::string& dumps = "[]") {
    write_file(src + "/f0", "version 0");
    write_file(src + "/sub/f1", "stays");
    write_file(config, "{\"repository\": \"" + repo + "\", \"state_dir\": \"" + dir / "state" +
                           "\",\n \"nodes\": [{\"id\": \"01_node\", \"type\": \"local\", " +
                           "\"paths\": [\"" + src + "\"], \"dumps\": " + dumps + "}]}\n");
  }
  ProcessResult ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {NB_CTL_BIN, "-c", config});
    return run_process(args);
  }
  ProcessResult run_once() { return run_process({NB_DAEMON_BIN, "-c", config, "--run-once"}); }
  std::vector<std::string> snapshot_ids() {
    const auto listed = ctl({"snapshots", "01_node", "--json"});
    REQUIRE(listed.exit_code == 0);
    std::vector<std::string> ids;
    for (const auto& s : nlohmann::json::parse(listed.out)) ids.push_back(s.at("id"));
    return ids;
  }
};

}  // namespace

TEST_CASE("cat writes a file of a snapshot byte for byte, a dump included", "[cli][cat]") {
  Setup s(R"([{"name": "numbers.txt", "command": "seq 1 100000"}])");
  const std::string binary = random_bytes(1 << 20, 3) + std::string("\0end\n", 5);
  write_file(s.src + "/bin", binary);
  REQUIRE(s.run_once().exit_code == 0);

  const auto cat = s.ctl({"cat", "01_node", "latest", s.src + "/bin"});
  REQUIRE(cat.exit_code == 0);
  CHECK(cat.out == binary);

  const auto dump = s.ctl({"cat", "01_node", "latest", "/.nodebackup-dumps/numbers.txt"});
  REQUIRE(dump.exit_code == 0);
  CHECK(dump.out.starts_with("1\n2\n3\n"));
  CHECK(dump.out.ends_with("\n99999\n100000\n"));
  // ls shows the dump's root among the roots.
  const auto ls = s.ctl({"ls", "01_node", "latest"});
  REQUIRE(ls.exit_code == 0);
  CHECK_THAT(ls.out, Catch::Contains("/.nodebackup-dumps/numbers.txt"));

  CHECK(s.ctl({"cat", "01_node", "latest", s.src + "/missing"}).exit_code == 1);
  CHECK(s.ctl({"cat", "01_node", "latest", s.src + "/sub"}).exit_code == 1);
  CHECK(s.ctl({"cat", "01_node", "latest"}).exit_code == 2);
}

TEST_CASE("changes prints one marked line per path, or JSON", "[cli][changes]") {
  Setup s;
  REQUIRE(s.run_once().exit_code == 0);
  write_file(s.src + "/f0", "version 1", 1000);
  write_file(s.src + "/added", "new");
  REQUIRE(s.run_once().exit_code == 0);
  const auto ids = s.snapshot_ids();
  REQUIRE(ids.size() == 2);

  const auto text = s.ctl({"changes", "01_node", ids[0], "latest"});
  REQUIRE(text.exit_code == 0);
  CHECK(text.out == "+ " + s.src + "/added\nM " + s.src + "/f0\n");

  const auto json = s.ctl({"changes", "01_node", ids[0], ids[1], "--json"});
  REQUIRE(json.exit_code == 0);
  const auto list = nlohmann::json::parse(json.out);
  REQUIRE(list.size() == 2);
  CHECK(list[0] ==
        nlohmann::json{{"change", "added"}, {"path", s.src + "/added"}, {"type", "file"}});
  CHECK(list[1] == nlohmann::json{{"change", "modified"},
                                  {"path", s.src + "/f0"},
                                  {"old_type", "file"},
                                  {"type", "file"}});
  CHECK(s.ctl({"changes", "01_node", ids[0], "nosuch"}).exit_code == 1);
  CHECK(s.ctl({"changes", "01_node", ids[0]}).exit_code == 2);
}

TEST_CASE("a failing dump fails --run-once, and snapshots shows it", "[cli][dumps]") {
  Setup s(R"([{"name": "db.sql", "command": "echo 'cannot connect' >&2; exit 2"}])");
  const auto run = s.run_once();
  CHECK(run.exit_code == 1);
  CHECK_THAT(run.err, Catch::Contains("dump db.sql failed: exit status 2: cannot connect"));
  const auto listed = s.ctl({"snapshots", "01_node", "--json"});
  REQUIRE(listed.exit_code == 0);
  const auto list = nlohmann::json::parse(listed.out);
  REQUIRE(list.size() == 1);
  CHECK(list[0].at("partial") == false);
  REQUIRE(list[0].contains("failed_dumps"));
  CHECK(list[0]["failed_dumps"][0]["name"] == "db.sql");
  CHECK(s.ctl({"cat", "01_node", "latest", s.src + "/f0"}).out == "version 0");
}

TEST_CASE("restore --to-node on a local node: dry run, then the node's tree without its dumps",
          "[cli][restore]") {
  Setup s(R"([{"name": "numbers.txt", "command": "seq 1 10"}])");
  REQUIRE(s.run_once().exit_code == 0);
  const std::string target = s.dir / "node";

  const auto dry =
      s.ctl({"restore", "01_node", "latest", "--to-node", "--target", target, "--dry-run"});
  REQUIRE(dry.exit_code == 0);
  CHECK_THAT(dry.out, Catch::Contains(s.src + "/sub/f1"));
  CHECK_THAT(dry.out, Catch::Contains("dry run: would restore"));
  CHECK_THAT(dry.out, Catch::Contains("01_node:" + target + ": 2 files"));
  CHECK_THAT(dry.out, !Catch::Contains("numbers.txt"));  // the dumps stay out unless named
  CHECK_FALSE(std::filesystem::exists(target));

  const auto restored = s.ctl({"restore", "01_node", "latest", "--to-node", "--target", target});
  REQUIRE(restored.exit_code == 0);
  CHECK(read_whole(target + s.src + "/f0") == "version 0");
  CHECK(read_whole(target + s.src + "/sub/f1") == "stays");
  CHECK_FALSE(std::filesystem::exists(target + "/.nodebackup-dumps"));

  // Named, a dump is written.
  const auto dump = s.ctl({"restore", "01_node", "latest", "/.nodebackup-dumps/numbers.txt",
                           "--to-node", "--target", target});
  REQUIRE(dump.exit_code == 0);
  CHECK(read_whole(target + "/.nodebackup-dumps/numbers.txt").starts_with("1\n2\n"));

  // Neither a target nor --to-node: a usage error; a node the config does not have: refused.
  CHECK(s.ctl({"restore", "01_node", "latest"}).exit_code == 2);
  const auto unknown = s.ctl({"restore", "09_gone", "latest", "--to-node"});
  CHECK(unknown.exit_code != 0);
  CHECK_THAT(unknown.err, Catch::Contains("not a node of the configuration"));
}
