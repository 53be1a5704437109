// A node is not trusted: its find, tar and sshd may send anything. Each misbehaviour fails or
// shortens that node's run with an error naming the node, never crashes or hangs the job, and
// never puts anything into the snapshot under a path the job did not ask for.
#include <catch2/catch.hpp>

#include <cerrno>

#include "fs/ssh/exec_fs.h"
#include "fs/ssh/remote_session.h"
#include "fs/ssh/sftp_fs.h"
#include "repo/browse.h"
#include "support/backup_fixture.h"
#include "support/sshd_fixture.h"

using namespace nb;
using namespace nb::test;

namespace {

NodeUnderTest hostile_exec_node() {
  return {"hostile exec", [] {
            auto target = SshServer::hostile().target();
            target.timeout = std::chrono::seconds(10);
            auto fs = fs::ssh::open_exec_fs(target);
            if (!fs) throw std::runtime_error(fs.error().message());
            return std::move(*fs);
          }};
}

NodeUnderTest hostile_sftp_node() {
  return {"hostile sftp", [] {
            auto target = SshServer::hostile().target();
            target.timeout = std::chrono::seconds(10);
            auto fs = fs::ssh::open_sftp_fs(target);
            if (!fs) throw std::runtime_error(fs.error().message());
            return std::move(*fs);
          }};
}

// The node's files as the newest snapshot lists them, by absolute path.
std::vector<std::string> snapshot_paths(BackupFixture& fx) {
  auto latest = fx.repo->find_snapshot("01_node", "latest");
  REQUIRE(latest);
  std::vector<std::string> out;
  for (const auto& root : latest->roots) {
    REQUIRE(repo::walk_entry(
        *fx.repo, root.path, root.entry,
        [&](const std::string& path, const repo::TreeEntry&) { out.push_back(path); }));
  }
  return out;
}

}  // namespace

TEST_CASE("hostile node: a find record that does not parse fails the run, naming the node",
          "[ssh][hostile]") {
  SshServer::hostile().set_hostile_mode("find-garbage");
  BackupFixture fx(hostile_exec_node());
  fx.make_files(2);
  const auto result = fx.run();
  CHECK_FALSE(result.ok);
  REQUIRE(result.error);
  CHECK_THAT(result.error->message(), Catch::Contains("malformed record"));
  CHECK(fx.store.entries("01_node")->empty());  // nothing written back
}

TEST_CASE("hostile node: endless find output without a separator fails the run", "[ssh][hostile]") {
  SshServer::hostile().set_hostile_mode("find-endless");
  BackupFixture fx(hostile_exec_node());
  fx.make_files(1);
  const auto result = fx.run();
  CHECK_FALSE(result.ok);
  REQUIRE(result.error);
  CHECK_THAT(result.error->message(), Catch::Contains("longer than"));
}

TEST_CASE("hostile node: entries outside the root or with dot components are refused",
          "[ssh][hostile]") {
  SshServer::hostile().set_hostile_mode("find-escape");
  BackupFixture fx(hostile_exec_node());
  fx.make_files(2);
  const auto result = fx.run();
  REQUIRE(result.ok);
  CHECK(result.counts.added == 2);
  CHECK(result.counts.errors >= 4);
  for (const auto& path : snapshot_paths(fx)) {
    INFO(path);
    CHECK(path.starts_with(fx.src));
    CHECK(path.find("/..") == std::string::npos);
    CHECK(path.find("//") == std::string::npos);
    CHECK(path.find("/./") == std::string::npos);
  }
  for (const auto& [path, entry] : *fx.store.entries("01_node")) {
    CHECK(path.starts_with(fx.src + "/"));
  }
}

TEST_CASE("hostile node: a tar member that was not asked for fails the run", "[ssh][hostile]") {
  for (const std::string mode : {"tar-other", "tar-duplicate"}) {
    INFO(mode);
    SshServer::hostile().set_hostile_mode(mode);
    BackupFixture fx(hostile_exec_node());
    fx.make_files(2);
    const auto result = fx.run();
    CHECK_FALSE(result.ok);
    REQUIRE(result.error);
    CHECK_THAT(result.error->message(), Catch::Contains("not asked for"));
    CHECK_THAT(result.error->message(), Catch::Contains("02_node"));
    CHECK(fx.store.entries("01_node")->empty());
  }
}

TEST_CASE("hostile node: output after its tar archive cannot pass for the session's trailer",
          "[ssh][hostile]") {
  // The exec session frames replies with a random per-session token; a tool on the node does
  // not know it, so what it appends is refused, not read as the end of the reply.
  SshServer::hostile().set_hostile_mode("tar-trailer");
  BackupFixture fx(hostile_exec_node());
  fx.make_files(3);
  const auto result = fx.run();
  CHECK_FALSE(result.ok);
  REQUIRE(result.error);
  CHECK(result.error->code() == EPROTO);
  CHECK_THAT(result.error->message(), Catch::Contains("02_node"));
  CHECK(fx.store.entries("01_node")->empty());
  CHECK_FALSE(fx.repo->find_snapshot("01_node", "latest"));
}

TEST_CASE("hostile node: a 1 TiB member followed by endless zeros fails the run, bounded",
          "[ssh][hostile]") {
  SshServer::hostile().set_hostile_mode("tar-huge");
  BackupFixture fx(hostile_exec_node());
  fx.make_files(2);
  const auto result = fx.run();
  CHECK_FALSE(result.ok);
  REQUIRE(result.error);
  CHECK_THAT(result.error->message(), Catch::Contains("02_node"));
}

TEST_CASE("a node that freezes at the start of a remote command times out", "[ssh]") {
  auto& server = SshServer::instance();
  auto target = server.target();
  target.timeout = std::chrono::seconds(2);
  auto c = fs::ssh::SshConnection::open(target);
  REQUIRE(c);
  bool paused = false;
  (*c)->set_step_hook([&](std::string_view step) {
    if (step == "exec" && !paused) server.pause_sessions(), paused = true;
  });
  auto run = fs::ssh::RemoteSession::start(**c);
  server.resume_sessions();
  REQUIRE(paused);
  REQUIRE_FALSE(run);
  CHECK(run.error().code() == ETIMEDOUT);
  CHECK(run.error().transient());
}

TEST_CASE("hostile node: sftp names with \"..\", \"/\" or nothing are refused, the rest is kept",
          "[ssh][hostile]") {
  SshServer::hostile().set_hostile_mode("sftp-names");
  BackupFixture fx(hostile_sftp_node());
  fx.make_files(5);
  const auto result = fx.run();
  REQUIRE(result.ok);
  CHECK(result.counts.errors >= 3);
  CHECK(result.counts.added == 2);  // three were renamed by the server, two are intact
  for (const auto& path : snapshot_paths(fx)) {
    INFO(path);
    CHECK(path.starts_with(fx.src));
    CHECK(path.find("..") == std::string::npos);
    CHECK(path.find("planted") == std::string::npos);
  }
  const auto stored = fx.store.entries("01_node");
  CHECK(stored->size() == 2);
  for (const auto& [path, entry] : *stored) {
    INFO(path);
    CHECK(path.starts_with(fx.src + "/f"));
    CHECK(path.find('/', fx.src.size() + 1) == std::string::npos);
  }
}

TEST_CASE("hostile node: an sftp read reply longer than asked is that file's error",
          "[ssh][hostile]") {
  SshServer::hostile().set_hostile_mode("sftp-long-read");
  BackupFixture fx(hostile_sftp_node());
  fx.make_files(2);
  const auto result = fx.run();
  REQUIRE(result.ok);
  CHECK(result.counts.errors == 2);
  CHECK(result.counts.added == 0);
  CHECK(fx.store.entries("01_node")->empty());
}

TEST_CASE("hostile node: an sftp server that answers with garbage fails the run",
          "[ssh][hostile]") {
  SshServer::hostile().set_hostile_mode("sftp-garbage");
  auto target = SshServer::hostile().target();
  target.timeout = std::chrono::seconds(10);
  TempDir dir;
  auto fs = fs::ssh::open_sftp_fs(target);
  // Refused at once, or by the walk: either way an error that names the node, no crash.
  if (fs) {
    class Quiet final : public fs::WalkVisitor {
     public:
      bool entry(const std::string&, const fs::FileMeta&) override { return true; }
      void error(const Error&) override {}
    } visitor;
    auto walked = (*fs)->walk(dir.path(), visitor);
    REQUIRE_FALSE(walked);
    CHECK_THAT(walked.error().message(), Catch::Contains("02_node"));
  } else {
    CHECK_THAT(fs.error().message(), Catch::Contains("02_node"));
  }
}
