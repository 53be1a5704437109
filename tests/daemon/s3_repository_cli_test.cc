// nodebackupd and nodebackupctl with "repository": "s3://…" on a real RGW, as an operator runs
// them: two daemons with their own state_dir and nodes back up into one repository, each one's
// nodebackupctl lists both, verify and restore work, and a readable credentials file is refused.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <set>

#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/rgw_fixture.h"
#include "support/temp_dir.h"
#include "support/test_config.h"

using namespace nb;
using namespace nb::test;

namespace {

// One daemon's world: its config, state_dir and a node of its own, on the shared repository.
struct Instance {
  TempDir dir;
  std::string config = dir / "config.json";
  std::string src = dir / "src";
  std::string credentials = dir / "s3-credentials";

  Instance(const std::string& repository, const std::string& node) {
    const auto& s = RgwServer::instance().settings();
    write_file(credentials, "AWS_ACCESS_KEY_ID=" + s.access_key +
                                "\nAWS_SECRET_ACCESS_KEY=" + s.secret_key + "\n");
    ::chmod(credentials.c_str(), 0600);
    write_file(src + "/" + node + ".txt", "the content of " + node);
    write_file(src + "/common.txt", "the same on every node");
    auto config_json = test_config(
        dir.path(), nlohmann::json::array({test::local_node(node, src)}),
        {{"repository", repository},
         {"s3",
          {{"endpoint", s.endpoint}, {"region", s.region}, {"credentials_file", credentials}}}});
    write_config(config, config_json);
  }

  ProcessResult daemon(std::vector<std::string> args) const {
    args.insert(args.begin(), {NB_DAEMON_BIN, "-c", config});
    return run_process(args);
  }
  ProcessResult ctl(std::vector<std::string> args) const {
    args.insert(args.begin(), {NB_CTL_BIN, "-c", config});
    return run_process(args);
  }
};

}  // namespace

TEST_CASE("two daemons back up into one S3 repository and each lists and restores the other's",
          "[s3][daemon]") {
  const std::string repository = "s3://" + RgwServer::instance().new_bucket() + "/fleet";
  Instance a(repository, "01_node");
  Instance b(repository, "03_node");
  const auto ra = a.daemon({"--run-once"});
  INFO(ra.err);
  REQUIRE(ra.exit_code == 0);
  const auto rb = b.daemon({"--run-once"});
  INFO(rb.err);
  REQUIRE(rb.exit_code == 0);

  const auto listed = a.ctl({"snapshots", "--json"});
  REQUIRE(listed.exit_code == 0);
  const auto snapshots = nlohmann::json::parse(listed.out);
  REQUIRE(snapshots.size() == 2);
  std::set<std::string> nodes;
  for (const auto& s : snapshots) nodes.insert(s["node"].get<std::string>());
  CHECK(nodes == std::set<std::string>{"01_node", "03_node"});

  const auto verified = b.ctl({"verify"});
  INFO(verified.out << verified.err);
  CHECK(verified.exit_code == 0);
  TempDir target;
  const auto restored = a.ctl({"restore", "03_node", "latest", "--target", target.path()});
  INFO(restored.err);
  REQUIRE(restored.exit_code == 0);
  CHECK(read_whole(target.path() + b.src + "/03_node.txt") == "the content of 03_node");
}

TEST_CASE("nodebackupctl copy --to a directory and to another bucket sends only what is missing",
          "[s3][daemon][copy]") {
  auto& rgw = RgwServer::instance();
  Instance a("s3://" + rgw.new_bucket() + "/main", "01_node");
  REQUIRE(a.daemon({"--run-once"}).exit_code == 0);
  TempDir offsite;
  for (const std::string& to : {offsite.path() + "/repo", "s3://" + rgw.new_bucket() + "/copy"}) {
    INFO(to);
    const auto first = a.ctl({"copy", "--to", to});
    INFO(first.err);
    REQUIRE(first.exit_code == 0);
    CHECK(first.out.find("copy: 1 snapshots copied (0 already there)") != std::string::npos);
    const auto second = a.ctl({"copy", "--to", to, "--node", "01_node"});
    REQUIRE(second.exit_code == 0);
    CHECK(second.out.find("copy: 0 snapshots copied (1 already there), 0 blobs") !=
          std::string::npos);
  }
}

TEST_CASE("an S3 credentials file that group or others may read is refused as a config error",
          "[s3][daemon]") {
  Instance a("s3://" + RgwServer::instance().new_bucket(), "01_node");
  ::chmod(a.credentials.c_str(), 0640);
  const auto r = a.daemon({"--run-once"});
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("chmod 0600") != std::string::npos);
  CHECK(r.err.find(a.credentials) != std::string::npos);
}

TEST_CASE("an s3:// repository without the s3 object is refused, naming the field",
          "[s3-hostile][daemon]") {
  TempDir dir;
  const std::string config = dir / "config.json";
  write_config(config,
               test_config(dir.path(), nlohmann::json::array({test::local_node("n", dir / "src")}),
                           {{"repository", "s3://bucket/x"}}));
  const auto r = run_process({NB_DAEMON_BIN, "-c", config, "--check-config"});
  CHECK(r.exit_code == 78);
  CHECK(r.err.find("repository") != std::string::npos);
  CHECK(r.err.find("\"s3\" object") != std::string::npos);
}
