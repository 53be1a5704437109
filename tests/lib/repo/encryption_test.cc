// Encrypted repositories: a wrong passphrase is refused; one flipped byte in a pack, an index
// file or a snapshot record is reported by verify and refused by restore; key file and
// repository are private; nothing stored reads as plaintext; the passphrase can change.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "repo/key_passwd.h"
#include "common/repository_config.h"
#include "repo/restore.h"
#include "repo/verify.h"
#include "support/snapshot_history.h"

using namespace nb;
using namespace nb::test;

namespace {

// Argon2id's cheapest setting: the tests check the wrapping, not its cost.
const repo::KdfParams kFastKdf{1, 8 << 20};

std::unique_ptr<repo::Repository> open_encrypted(const std::string& dir,
                                                 const std::string& passphrase) {
  repo::OpenOptions options;
  options.passphrase = [passphrase]() -> Result<std::string> { return passphrase; };
  auto repo = repo::Repository::open(repo::open_local_storage(dir), options);
  if (!repo) FAIL(repo.error().message());
  return std::move(*repo);
}

// The fixture's repository replaced by an encrypted one.
void encrypt_fixture(BackupFixture& fx) {
  fx.repo.reset();
  std::filesystem::remove_all(fx.repo_dir);
  std::filesystem::create_directory(fx.repo_dir);
  std::filesystem::permissions(fx.repo_dir, std::filesystem::perms::owner_all);
  auto storage = repo::open_local_storage(fx.repo_dir);
  REQUIRE(repo::Repository::init(
      *storage, {.encrypt = true, .passphrase = "correct horse", .kdf = kFastKdf}));
  fx.repo = open_encrypted(fx.repo_dir, "correct horse");
}

void flip_byte(const std::string& path, uint64_t offset) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekg(static_cast<std::streamoff>(offset));
  const char c = static_cast<char>(file.get());
  file.seekp(static_cast<std::streamoff>(offset));
  file.put(static_cast<char>(c ^ 0x01));
}

std::string only_file(const repo::Repository& repo, const std::string& prefix) {
  auto files = repo.storage().list(prefix);
  REQUIRE(files);
  REQUIRE(files->size() == 1);
  return repo.storage().describe(files->front().name);
}

std::string problems_of(const repo::Repository& repo) {
  auto report = repo::verify(repo, {});
  REQUIRE(report);
  std::string all;
  for (const auto& p : report->problems) all += p + "\n";
  return all;
}

}  // namespace

TEST_CASE("an encrypted repository refuses a wrong or missing passphrase", "[repo][crypto]") {
  BackupFixture fx(local_node());
  encrypt_fixture(fx);
  repo::OpenOptions wrong;
  wrong.passphrase = []() -> Result<std::string> { return std::string("wrong horse"); };
  auto refused = repo::Repository::open(repo::open_local_storage(fx.repo_dir), wrong);
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.error().message(), Catch::Contains("wrong passphrase"));
  auto none = repo::Repository::open(fx.repo_dir, false);
  REQUIRE_FALSE(none);
  CHECK_THAT(none.error().message(), Catch::Contains("repository_password_file"));
}

TEST_CASE("an encrypted repository backs up, restores, and stores no plaintext", "[repo][crypto]") {
  BackupFixture fx(local_node());
  encrypt_fixture(fx);
  SnapshotHistory history(fx);
  write_file(fx.file("secret"), "the plaintext secret, repeated: " + std::string(2000, 'x'));
  fx.make_files(3);
  history.backup();
  CHECK(history.check_restores() == 1);
  CHECK(problems_of(*fx.repo).empty());
  // Ids are keyed: not the unkeyed BLAKE2b of the content.
  CHECK(fx.repo->blob_id("abc") != repo::content_name("abc"));
  for (const auto& e : std::filesystem::recursive_directory_iterator(fx.repo_dir)) {
    INFO(e.path());
    struct ::stat st;
    REQUIRE(::stat(e.path().c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == (e.is_directory() ? 0700u : 0600u));
    if (e.is_regular_file()) {
      const std::string bytes = read_whole(e.path());
      CHECK(bytes.find("plaintext secret") == std::string::npos);
      CHECK(bytes.find("content of file") == std::string::npos);
      CHECK(bytes.find(fx.src) == std::string::npos);  // no path either
    }
  }
}

TEST_CASE("a flipped byte in a pack, an index file or a record is reported and refused",
          "[repo][crypto]") {
  const bool encrypted = GENERATE(true, false);
  INFO((encrypted ? "encrypted" : "plain"));
  BackupFixture fx(local_node());
  if (encrypted) encrypt_fixture(fx);
  fx.make_files(3);
  REQUIRE(fx.run().ok);
  REQUIRE(problems_of(*fx.repo).empty());
  const auto reopen = [&] {
    fx.repo = encrypted ? open_encrypted(fx.repo_dir, "correct horse")
                        : std::move(*repo::Repository::open(fx.repo_dir, false));
  };

  SECTION("in a pack") {
    const auto where = fx.repo->locate(fx.repo->blob_id("content of file 1\n"));
    REQUIRE(where);
    flip_byte(fx.repo_dir + "/" + repo::pack_name(where->pack_id), where->offset + 2);
    reopen();
    CHECK_THAT(problems_of(*fx.repo), Catch::Contains("corrupt"));
    TempDir target;
    auto latest = fx.repo->find_snapshot("01_node", "latest");
    REQUIRE(latest);
    auto report = repo::restore(*fx.repo, *latest, {}, target.path(), {});
    REQUIRE(report);
    REQUIRE(report->errors.size() == 1);
    CHECK_THAT(report->errors[0].message(), Catch::Contains(fx.file("f1")));
    CHECK_FALSE(std::filesystem::exists(target.path() + fx.file("f1")));
  }
  SECTION("in an index file") {
    flip_byte(only_file(*fx.repo, "index/"), 30);
    reopen();
    CHECK_THAT(problems_of(*fx.repo), Catch::Contains("index file"));
    TempDir target;
    auto latest = fx.repo->find_snapshot("01_node", "latest");
    REQUIRE(latest);
    auto report = repo::restore(*fx.repo, *latest, {}, target.path(), {});
    // Nothing can be found without the index: nothing is restored.
    CHECK((!report || !report->errors.empty()));
    CHECK_FALSE(std::filesystem::exists(target.path() + fx.file("f1")));
  }
  SECTION("in a snapshot record") {
    flip_byte(only_file(*fx.repo, "snapshots/"), 40);
    reopen();
    CHECK_THAT(problems_of(*fx.repo), Catch::Contains("snapshot record"));
    CHECK_FALSE(fx.repo->find_snapshot("01_node", "latest"));
  }
}

TEST_CASE("key passwd: the new passphrase opens the repository, the old one no longer",
          "[repo][crypto]") {
  BackupFixture fx(local_node());
  encrypt_fixture(fx);
  fx.make_files(2);
  REQUIRE(fx.run().ok);
  REQUIRE(repo::change_passphrase(*fx.repo, "battery staple", kFastKdf));
  auto files = fx.repo->storage().list("keys/");
  REQUIRE(files);
  CHECK(files->size() == 1);
  repo::OpenOptions old_one;
  old_one.passphrase = []() -> Result<std::string> { return std::string("correct horse"); };
  CHECK_FALSE(repo::Repository::open(repo::open_local_storage(fx.repo_dir), old_one));
  auto reopened = open_encrypted(fx.repo_dir, "battery staple");
  auto latest = reopened->find_snapshot("01_node", "latest");
  REQUIRE(latest);
  CHECK(latest->roots.size() == 1);
}

TEST_CASE("the passphrase comes from the password file, else the systemd credential",
          "[repo][crypto]") {
  TempDir dir;
  config::Config config;
  config.source = dir / "config.json";
  ::unsetenv("CREDENTIALS_DIRECTORY");
  auto none = configured_passphrase(config);
  REQUIRE_FALSE(none);
  CHECK_THAT(none.error().message(), Catch::Contains(kPasswordCredential));

  write_file(dir / "creds/nodebackup-repository-password", "from systemd\n");
  ::setenv("CREDENTIALS_DIRECTORY", (dir / "creds").c_str(), 1);
  auto credential = configured_passphrase(config);
  ::unsetenv("CREDENTIALS_DIRECTORY");
  REQUIRE(credential);
  CHECK(*credential == "from systemd");

  write_file(dir / "pw", "from the file\r\nsecond line ignored\n");
  ::chmod((dir / "pw").c_str(), 0600);
  config.repository_password_file = dir / "pw";
  auto file = configured_passphrase(config);
  REQUIRE(file);
  CHECK(*file == "from the file");
  ::chmod((dir / "pw").c_str(), 0640);
  auto group_readable = configured_passphrase(config);
  REQUIRE_FALSE(group_readable);
  CHECK_THAT(group_readable.error().message(), Catch::Contains("chmod 0600"));
}
