// Repository growth (DESIGN §5, issue 5): a no-change run adds at most 4 KiB however many
// files the node has, and prune brings 50 such runs back to the size of a few records.
#include <catch2/catch.hpp>

#include <cstdio>

#include "repo/prune.h"
#include "support/snapshot_history.h"
#include "util/clock.h"

using namespace nb;
using namespace nb::test;

TEST_CASE("50 no-change runs of 10,000 files grow < 50 x 4 KiB, then prune last 5 undoes it",
          "[prune][growth]") {
  BackupFixture fx;  // the in-memory node: this is about the repository, not the transport
  for (int d = 0; d < 100; ++d) {
    for (int f = 0; f < 100; ++f) {
      fx.write("d" + std::to_string(d) + "/f" + std::to_string(f),
               "file " + std::to_string(d) + "/" + std::to_string(f) + "\n");
    }
  }
  const auto first = fx.run();
  REQUIRE(first.ok);
  REQUIRE(first.counts.scanned == 10000);
  const uint64_t after_first = fx.repo_bytes();

  for (int run = 0; run < 50; ++run) {
    const auto result = fx.run();
    REQUIRE(result.ok);
    REQUIRE(result.counts.unchanged == 10000);
  }
  const uint64_t after_50 = fx.repo_bytes();
  CHECK(after_50 - after_first < 50 * 4096);

  const int64_t start = now_ns();
  auto report = repo::prune(*fx.repo, keep_last(5), {});
  const double prune_s = static_cast<double>(now_ns() - start) / 1e9;
  REQUIRE(report);
  CHECK(report->snapshots_removed == 46);
  CHECK(report->objects_removed == 0);
  const uint64_t after_prune = fx.repo_bytes();
  const uint64_t distance =
      after_prune > after_first ? after_prune - after_first : after_first - after_prune;
  CHECK(distance <= 5 * 4096);
  std::printf(
      "growth: first snapshot %llu bytes; +50 no-change runs %llu bytes (%.0f per run); "
      "after prune last 5: %llu bytes (%+lld vs first), prune took %.3f s\n",
      static_cast<unsigned long long>(after_first),
      static_cast<unsigned long long>(after_50 - after_first),
      static_cast<double>(after_50 - after_first) / 50,
      static_cast<unsigned long long>(after_prune),
      static_cast<long long>(after_prune) - static_cast<long long>(after_first), prune_s);
}
