// nodebackupctl parses options per command: an option the command does not take is a usage
// error naming it, not silently ignored (`status --dry-run` used to be accepted).
#include <catch2/catch.hpp>

#include "support/process.h"

using namespace nb::test;

namespace {

ProcessResult ctl(std::vector<std::string> args) {
  args.insert(args.begin(), {NB_CTL_BIN, "-c", "/nonexistent/config.json"});
  return run_process(args);
}

}  // namespace

TEST_CASE("nodebackupctl refuses an option its command does not take", "[cli]") {
  for (const auto& [command, option] :
       std::vector<std::pair<std::string, std::string>>{{"status", "--dry-run"},
                                                        {"verify", "--node"},
                                                        {"prune", "--wait"},
                                                        {"snapshots", "--target"},
                                                        {"reload", "--json"},
                                                        {"init", "--read-data-subset"},
                                                        {"migrate", "--new-password-file"},
                                                        {"key", "--encrypt"},
                                                        {"verify", "--encrypt"}}) {
    INFO(command << " " << option);
    const auto r = ctl({command, option, "x"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("nodebackupctl " + command + ": unrecognised option '" +
                                      option + "'"));
  }
}

TEST_CASE("nodebackupctl COMMAND --help lists that command's options only", "[cli]") {
  const auto prune = ctl({"prune", "--help"});
  CHECK(prune.exit_code == 0);
  CHECK_THAT(prune.out, Catch::Contains("--dry-run"));
  CHECK_THAT(prune.out, !Catch::Contains("--wait"));
  const auto run = ctl({"run", "--help"});
  CHECK(run.exit_code == 0);
  CHECK_THAT(run.out, Catch::Contains("--wait"));
  CHECK_THAT(run.out, !Catch::Contains("--dry-run"));
  // Global options still go anywhere on the line.
  const auto global =
      run_process({NB_CTL_BIN, "verify", "-c", "/nonexistent/other.json", "--fast"});
  CHECK(global.exit_code == 78);  // EX_CONFIG: the error is of kind config
  CHECK_THAT(global.err, Catch::Contains("/nonexistent/other.json"));
  const auto verify = ctl({"verify", "--help"});
  CHECK_THAT(verify.out, Catch::Contains("--read-data-subset"));
  CHECK_THAT(verify.out, !Catch::Contains("--encrypt"));
  const auto key = ctl({"key", "--help"});
  CHECK_THAT(key.out, Catch::Contains("--new-password-file"));
  CHECK_THAT(key.out, !Catch::Contains("--encrypt"));
}
