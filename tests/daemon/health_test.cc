// NodeHealth on its own: the alarm arithmetic, including the incident's shape (a run that
// claims success while the store gains no entries).
#include <catch2/catch.hpp>

#include "nodebackupd/health.h"

using namespace nb;
using namespace nb::daemon;

namespace {

backup::JobResult run_with(uint64_t scanned, std::vector<std::string> touched = {},
                           std::vector<std::string> not_written_back = {}) {
  backup::JobResult r;
  r.ok = true;
  r.counts.scanned = scanned;
  r.touched = std::move(touched);
  r.not_written_back = std::move(not_written_back);
  return r;
}

}  // namespace

TEST_CASE("health: a run whose entries never reach the store raises writeback_incomplete",
          "[daemon][alarm]") {
  NodeHealth health;
  // The incident: 10 files scanned, the job reported nothing amiss, the store holds 1.
  health.after_run(run_with(10), 1, {}, 100);
  REQUIRE(health.alarms().contains(kWritebackIncomplete));
  CHECK(health.alarms().at(kWritebackIncomplete).count == 9);
  CHECK(health.alarms().at(kWritebackIncomplete).since_ns == 100);

  // Still raised on the next run: `since` stays when it was first raised.
  health.after_run(run_with(10, {}, {"/a"}), 8, {}, 200);
  CHECK(health.alarms().at(kWritebackIncomplete).count == 2);  // "/a" and one unexplained
  CHECK(health.alarms().at(kWritebackIncomplete).since_ns == 100);
  CHECK(health.alarms().at(kWritebackIncomplete).examples == std::vector<std::string>{"/a"});

  health.after_run(run_with(10), 10, {}, 300);
  CHECK(health.alarms().empty());
}

TEST_CASE("health: diff_ineffective needs the same file touched three runs in a row",
          "[daemon][alarm]") {
  NodeHealth health;
  health.after_run(run_with(3, {"/x", "/y"}), 3, {}, 1);
  health.after_run(run_with(3, {"/x", "/y"}), 3, {}, 2);
  CHECK_FALSE(health.alarms().contains(kDiffIneffective));
  health.after_run(run_with(3, {"/x"}), 3, {}, 3);  // "/y" broke its streak
  REQUIRE(health.alarms().contains(kDiffIneffective));
  CHECK(health.alarms().at(kDiffIneffective).count == 1);
  CHECK(health.alarms().at(kDiffIneffective).examples == std::vector<std::string>{"/x"});
  health.after_run(run_with(3, {"/y"}), 3, {}, 4);
  CHECK_FALSE(health.alarms().contains(kDiffIneffective));
}

TEST_CASE("health: untrusted store entries raise store_untrusted until they are gone",
          "[daemon][alarm]") {
  NodeHealth health;
  health.check_store({5, {"/a", "/b"}}, 10);
  REQUIRE(health.alarms().contains(kStoreUntrusted));
  CHECK(health.alarms().at(kStoreUntrusted).count == 5);
  CHECK_THAT(NodeHealth::describe("02_node", health.alarms().at(kStoreUntrusted)),
             Catch::Contains("02_node: alarm store_untrusted: 5") && Catch::Contains("/a, /b"));
  health.after_run(run_with(5), 5, {0, {}}, 20);
  CHECK(health.alarms().empty());
}
