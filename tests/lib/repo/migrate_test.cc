// migrate on the committed format-1 fixture (written by the 0.1.0 code, see
// fixtures/make_format1.sh): the daemon's open refuses format 1 and names the command; a
// migration SIGKILLed midway leaves format 1 readable by migrate, which resumes; then every
// snapshot restores byte-identical to what was backed up, and verify is clean.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sodium.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "repo/migrate/migrate.h"
#include "repo/restore.h"
#include "repo/verify.h"
#include "support/temp_dir.h"

using namespace nb;
using namespace nb::test;

namespace {

const std::string kFixture = std::string(NB_SOURCE_DIR) + "/tests/lib/repo/fixtures/format1";

std::string sha256_hex(const std::string& data) {
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(out, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  static const char* digits = "0123456789abcdef";
  std::string hex;
  for (unsigned char b : out) hex += {digits[b >> 4], digits[b & 15]};
  return hex;
}

// What a restored tree holds, in the form expected.json gives.
nlohmann::json describe(const std::string& root) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    const std::string rel = e.path().lexically_relative(root).string();
    const auto mode = static_cast<int>(std::filesystem::symlink_status(e.path()).permissions());
    if (e.is_symlink()) {
      out[rel] = {{"type", "symlink"},
                  {"target", std::filesystem::read_symlink(e.path()).string()}};
    } else if (e.is_directory()) {
      out[rel] = {{"type", "dir"}, {"mode", mode}};
    } else {
      out[rel] = {{"type", "file"}, {"mode", mode}, {"sha256", sha256_hex(read_whole(e.path()))}};
    }
  }
  return out;
}

std::function<std::unique_ptr<repo::Storage>()> storage_at(const std::string& dir) {
  return [dir] { return repo::open_local_storage(dir); };
}

// Forks a migration of `dir` that SIGKILLs itself at the `occurrence`th `point`.
int migrate_killed_at(const std::string& dir, repo::FaultPoint point, int occurrence) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int seen = 0;
    repo::MigrateOptions options;
    options.fault_hook = [&](repo::FaultPoint p) -> Result<> {
      if (p == point && ++seen == occurrence) ::raise(SIGKILL);
      return {};
    };
    auto report = repo::migrate(storage_at(dir), options);
    ::_exit(report ? 0 : 11);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  return status;
}

}  // namespace

TEST_CASE("a format-1 repository is refused with the command that converts it", "[migrate]") {
  TempDir dir;
  std::filesystem::copy(kFixture + "/repo", dir / "repo", std::filesystem::copy_options::recursive);
  auto opened = repo::Repository::open(dir / "repo", /*create=*/true);
  REQUIRE_FALSE(opened);
  CHECK_THAT(opened.error().message(), Catch::Contains("nodebackupctl migrate"));
}

TEST_CASE("migrate killed midway resumes, and every snapshot restores byte-identical",
          "[migrate][crash]") {
  struct Kill {
    repo::FaultPoint point;
    int occurrence;
    const char* name;
  };
  const Kill kill = GENERATE(Kill{repo::FaultPoint::migrate_snapshot, 2, "before the 2nd record"},
                             Kill{repo::FaultPoint::write_pack, 1, "before the first pack"},
                             Kill{repo::FaultPoint::write_index, 2, "before the 2nd index"},
                             Kill{repo::FaultPoint::write_snapshot, 3, "before the 3rd record"},
                             Kill{repo::FaultPoint::migrate_snapshot, 0, "not killed"});
  INFO("killed " << kill.name);
  TempDir dir;
  const std::string repo_dir = dir / "repo";
  std::filesystem::copy(kFixture + "/repo", repo_dir, std::filesystem::copy_options::recursive);
  const auto expected = nlohmann::json::parse(read_whole(kFixture + "/expected.json"));
  const std::string source = expected.at("source");

  if (kill.occurrence > 0) {
    const int status = migrate_killed_at(repo_dir, kill.point, kill.occurrence);
    REQUIRE(WIFSIGNALED(status));
    // Still format 1 to everyone but migrate.
    auto refused = repo::Repository::open(repo_dir, false);
    REQUIRE_FALSE(refused);
    CHECK_THAT(refused.error().message(), Catch::Contains("format 1"));
  }
  auto report = repo::migrate(storage_at(repo_dir), {});
  REQUIRE(report);
  CHECK(report->snapshots_converted + report->snapshots_skipped == 3);
  if (kill.point == repo::FaultPoint::migrate_snapshot && kill.occurrence > 0) {
    CHECK(report->snapshots_skipped == 1);
  }
  // Format 1's objects and records are gone (their empty directories may stay).
  CHECK(repo::open_local_storage(repo_dir)->list("objects/")->empty());
  CHECK_FALSE(std::filesystem::exists(repo_dir + "/config-2"));

  auto repo = repo::Repository::open(repo_dir, false);
  REQUIRE(repo);
  auto records = (*repo)->snapshots("01_node");
  REQUIRE(records);
  REQUIRE(records->size() == 3);
  for (const auto& record : *records) {
    INFO("snapshot " << record.id);
    REQUIRE(expected.contains(record.id));
    TempDir target;
    auto restored = repo::restore(**repo, record, {}, target.path(), {});
    REQUIRE(restored);
    CHECK(restored->errors.empty());
    const auto got = describe(target.path() + source);
    INFO("differences: " << nlohmann::json::diff(got, expected.at(record.id)).dump());
    CHECK(got == expected.at(record.id));
  }
  auto verified = repo::verify(**repo, {});
  REQUIRE(verified);
  INFO((verified->problems.empty() ? "" : verified->problems.front()));
  CHECK(verified->problems.empty());
  // A second run finds format 2 and nothing left to do.
  auto again = repo::migrate(storage_at(repo_dir), {});
  REQUIRE(again);
  CHECK(again->already_format2);
}

TEST_CASE("migrate --encrypt converts into an encrypted repository", "[migrate][crypto]") {
  TempDir dir;
  const std::string repo_dir = dir / "repo";
  std::filesystem::copy(kFixture + "/repo", repo_dir, std::filesystem::copy_options::recursive);
  const auto expected = nlohmann::json::parse(read_whole(kFixture + "/expected.json"));
  repo::MigrateOptions options;
  options.init = {.encrypt = true, .passphrase = "migrated", .kdf = {1, 8 << 20}};
  REQUIRE(repo::migrate(storage_at(repo_dir), options));
  CHECK_FALSE(repo::Repository::open(repo_dir, false));  // needs the passphrase now
  repo::OpenOptions open;
  open.passphrase = []() -> Result<std::string> { return std::string("migrated"); };
  auto repo = repo::Repository::open(repo::open_local_storage(repo_dir), open);
  REQUIRE(repo);
  CHECK((*repo)->keys().encrypted);
  auto records = (*repo)->snapshots("01_node");
  REQUIRE(records);
  REQUIRE(records->size() == 3);
  TempDir target;
  auto restored = repo::restore(**repo, records->back(), {}, target.path(), {});
  REQUIRE(restored);
  CHECK(restored->errors.empty());
  CHECK(describe(target.path() + expected.at("source").get<std::string>()) ==
        expected.at(records->back().id));
}
