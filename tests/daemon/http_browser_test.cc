// The dashboard in a real browser (issue 15): headless Chromium loads the pages of a daemon
// whose one node replays the incident — the same files re-read every run with nothing changed —
// next to a quiet node. The test reads the DOM Chromium built and keeps screenshots as
// artefacts (under the test's working directory, artifacts/) for a person to look at.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <regex>

#include "daemon/daemon_fixture.h"
#include "support/http_client.h"

using namespace nb::test;
using json = nlohmann::json;

namespace {

const char* const kChromium = "/usr/bin/chromium";

// Chromium, headless, with a profile of its own; bounded by timeout(1) so a hung browser
// fails the test instead of holding it.
ProcessResult chromium(const std::string& profile, std::vector<std::string> args) {
  std::vector<std::string> argv = {"/usr/bin/timeout",
                                   "120",
                                   kChromium,
                                   "--headless=new",
                                   "--no-sandbox",
                                   "--disable-gpu",
                                   "--no-first-run",
                                   "--disable-extensions",
                                   "--user-data-dir=" + profile};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv);
}

size_t count(const std::string& text, const std::regex& pattern) {
  return static_cast<size_t>(std::distance(std::sregex_iterator(text.begin(), text.end(), pattern),
                                           std::sregex_iterator()));
}

}  // namespace

TEST_CASE("http browser: Chromium shows the incident node's chart and alarm next to a quiet node",
          "[daemon][http][browser]") {
  if (::access(kChromium, X_OK) != 0) {
    FAIL("chromium is not installed (" << kChromium
                                       << "): install it with scripts/install-deps.sh or "
                                          "apt-get install --no-install-recommends chromium");
  }
  DaemonFixture f;
  // The incident: nine of ten files read again every run, their content never changing (an
  // mtime in the future never passes the quick check).
  const std::string incident = f.dir / "incident";
  for (int i = 0; i < 10; ++i) {
    const std::string path = incident + "/data/file" + std::to_string(i) + ".dat";
    write_file(path, std::string(4096 + i, 'x'));
    if (i > 0) set_mtime_age(path, -100'000);
  }
  const std::string quiet = f.dir / "quiet";
  for (int i = 0; i < 4; ++i) write_file(quiet + "/etc/conf" + std::to_string(i), "setting");
  f.write_config(json::array({DaemonFixture::local_node("02_node", incident, "1h"),
                              DaemonFixture::local_node("quiet_node", quiet, "1h")}),
                 {{"http", {{"listen", "127.0.0.1:0"}}}});
  auto& d = f.start_ready();
  wait_for_runs(d, "02_node", 1);
  wait_for_runs(d, "quiet_node", 1);
  // Runs on demand, so the history holds a known number of runs when the browser looks.
  constexpr int kRuns = 6;
  for (int run = 1; run < kRuns; ++run) {
    REQUIRE(f.ctl({"-s", f.socket, "run", "02_node", "--wait"}).exit_code == 0);
    REQUIRE(f.ctl({"-s", f.socket, "run", "quiet_node", "--wait"}).exit_code == 0);
    // sd_notify blocks the daemon once a few of its datagrams are left unread (as systemd
    // never does): read the STATUS= lines each run sends.
    f.notify.messages();
  }
  d.wait_for_log("dashboard and /metrics on");
  const int port = dashboard_port(d.log());
  // The history is extended off the event loop after each run: wait until it has them all.
  size_t runs_seen = 0;
  try {
    wait_until(
        [&] {
          f.notify.messages();
          const auto reply = http_get(port, "/api/nodes/02_node");
          runs_seen = reply.status == 200 ? json::parse(reply.body)["runs"].size() : 0;
          return runs_seen == kRuns;
        },
        "every run in the node's history");
  } catch (const std::exception&) {
    FAIL("the history has " << runs_seen << " runs, not " << kRuns << "; the log:\n" << d.log());
  }

  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  TempDir profile;
  const auto node_dom = chromium(profile.path(), {"--dump-dom", base + "/nodes/02_node"});
  INFO(node_dom.err);
  REQUIRE(node_dom.exit_code == 0);
  // One mark per run in the files chart, every one a successful run that re-read files.
  CHECK(count(node_dom.out, std::regex(R"re(<g class="run (ok|partial|failed)")re")) == kRuns);
  CHECK(count(node_dom.out, std::regex(R"re(<rect class="touched")re")) >= kRuns - 1);
  // The alarm, its explanation and an example path.
  CHECK_THAT(node_dom.out, Catch::Contains("data-kind=\"diff_ineffective\""));
  CHECK_THAT(node_dom.out, Catch::Contains("diff detection saves nothing"));
  CHECK_THAT(node_dom.out, Catch::Contains(incident + "/data/file"));

  const auto overview = chromium(profile.path(), {"--dump-dom", base + "/"});
  REQUIRE(overview.exit_code == 0);
  CHECK(count(overview.out, std::regex(R"re(<tr class="node")re")) == 2);
  CHECK_THAT(overview.out, Catch::Contains("diff_ineffective (9)"));
  CHECK(count(overview.out, std::regex(R"re(<g class="spark-run")re")) == 2 * kRuns);
  CHECK_THAT(overview.out, !Catch::Contains("<script"));

  // Screenshots for a person: kept in the build tree, not checked.
  const auto artifacts = std::filesystem::current_path() / "artifacts";
  std::filesystem::create_directories(artifacts);
  for (const auto& [name, url] : {std::pair{"dashboard-node.png", base + "/nodes/02_node"},
                                  std::pair{"dashboard-overview.png", base + "/"}}) {
    const auto shot = (artifacts / name).string();
    std::filesystem::remove(shot);
    const auto r = chromium(profile.path(), {"--screenshot=" + shot, "--window-size=1280,900",
                                             "--hide-scrollbars", url});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(std::filesystem::file_size(shot) > 10'000);
  }
}
