// nodebackupctl init, key passwd, migrate and verify --read-data-subset, and the daemon's
// refusal of a format-1 repository, driven as processes the way an operator would.
#include <catch2/catch.hpp>

#include <sys/stat.h>

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

  explicit Setup(const std::string& password_file = {}) {
    write_file(src + "/f0", "version 0");
    write_file(src + "/f1", "stays");
    write_config(password_file);
  }
  void write_config(const std::string& password_file) {
    const std::string password =
        password_file.empty() ? "" : ", \"repository_password_file\": \"" + password_file + "\"";
    write_file(config, "{\"repository\": \"" + repo + "\", \"state_dir\": \"" + dir / "state" +
                           "\"" + password + ",\n \"nodes\": [{\"id\": \"01_node\", \"type\": " +
                           "\"local\", \"paths\": [\"" + src + "\"]}]}\n");
  }
  ProcessResult ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {NB_CTL_BIN, "-c", config});
    return run_process(args);
  }
  ProcessResult run_once() { return run_process({NB_DAEMON_BIN, "-c", config, "--run-once"}); }
};

std::string private_file(const std::string& path, const std::string& content) {
  write_file(path, content);
  ::chmod(path.c_str(), 0600);
  return path;
}

}  // namespace

TEST_CASE("init --encrypt, back up, verify a subset, change the passphrase", "[cli][crypto]") {
  TempDir secrets;
  const std::string old_password = private_file(secrets / "old", "first passphrase\n");
  Setup s(old_password);
  const auto init = s.ctl({"init", "--encrypt"});
  REQUIRE(init.exit_code == 0);
  CHECK_THAT(init.out, Catch::Contains("encrypted"));
  CHECK(s.ctl({"init"}).exit_code == 1);  // already there
  REQUIRE(s.run_once().exit_code == 0);
  write_file(s.src + "/f0", "version 1", 1000);
  REQUIRE(s.run_once().exit_code == 0);
  const auto snapshots = s.ctl({"snapshots", "--json"});
  REQUIRE(snapshots.exit_code == 0);
  CHECK(nlohmann::json::parse(snapshots.out).size() == 2);
  CHECK(s.ctl({"verify"}).exit_code == 0);
  const auto subset = s.ctl({"verify", "--read-data-subset", "50%"});
  CHECK(subset.exit_code == 0);
  CHECK_THAT(subset.out, Catch::Contains("verify ok"));
  CHECK(s.ctl({"verify", "--read-data-subset", "0%"}).exit_code == 2);
  CHECK(s.ctl({"verify", "--read-data-subset", "half"}).exit_code == 2);

  const std::string new_password = private_file(secrets / "new", "second passphrase\n");
  REQUIRE(s.ctl({"key", "passwd", "--new-password-file", new_password}).exit_code == 0);
  const auto refused = s.ctl({"snapshots"});
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::Contains("wrong passphrase"));
  s.write_config(new_password);
  CHECK(s.ctl({"snapshots"}).exit_code == 0);
  const std::string target = s.dir / "restored";
  REQUIRE(s.ctl({"restore", "01_node", "latest", "--target", target}).exit_code == 0);
  CHECK(read_whole(target + s.src + "/f0") == "version 1");
}

TEST_CASE("a password file others may read is refused", "[cli][crypto]") {
  TempDir secrets;
  const std::string open_file = secrets / "pw";
  write_file(open_file, "readable by all\n");
  ::chmod(open_file.c_str(), 0644);
  Setup s(open_file);
  const auto init = s.ctl({"init", "--encrypt"});
  CHECK(init.exit_code == 78);  // EX_CONFIG: the configured secret is unusable as it is
  CHECK_THAT(init.err, Catch::Contains("chmod 0600"));
}

TEST_CASE("the daemon refuses a format-1 repository, nodebackupctl migrate converts it",
          "[cli][migrate]") {
  Setup s;
  std::filesystem::copy(std::string(NB_SOURCE_DIR) + "/tests/lib/repo/fixtures/format1/repo",
                        s.repo, std::filesystem::copy_options::recursive);
  const auto refused = s.run_once();
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::Contains("nodebackupctl migrate"));
  const auto migrated = s.ctl({"migrate"});
  REQUIRE(migrated.exit_code == 0);
  CHECK_THAT(migrated.out, Catch::Contains("3 snapshots converted"));
  CHECK(s.ctl({"verify"}).exit_code == 0);
  const auto snapshots = s.ctl({"snapshots", "--json"});
  REQUIRE(snapshots.exit_code == 0);
  CHECK(nlohmann::json::parse(snapshots.out).size() == 3);
  CHECK(s.run_once().exit_code == 0);  // format 2 now: the daemon backs up into it
  CHECK_THAT(s.ctl({"migrate"}).out, Catch::Contains("format 2 already"));
}
