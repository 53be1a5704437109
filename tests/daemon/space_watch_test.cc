// The repository_space alarm's arithmetic: floors in bytes and percent, and the trend.
#include <catch2/catch.hpp>

#include "nodebackupd/space_watch.h"

using nb::daemon::SpaceSample;
using nb::daemon::SpaceWatch;

namespace {

constexpr int64_t kHour = 3600'000'000'000;
constexpr uint64_t kGiB = 1ull << 30;

}  // namespace

TEST_CASE("repository_space: the floors in bytes and percent", "[daemon][alarm]") {
  nb::config::RepositorySpace limits;
  limits.min_free_bytes = 10 * kGiB;
  SpaceWatch watch;
  CHECK_FALSE(watch.check(limits, {20 * kGiB, 100 * kGiB}, kHour));
  const auto alarm = watch.check(limits, {5 * kGiB, 100 * kGiB}, 2 * kHour);
  REQUIRE(alarm);
  CHECK(alarm->kind == "repository_space");
  CHECK(alarm->since_ns == 2 * kHour);
  CHECK(watch.check(limits, {4 * kGiB, 100 * kGiB}, 3 * kHour)->since_ns == 2 * kHour);
  limits = {};
  limits.min_free_percent = 10;
  CHECK(watch.check(limits, {9 * kGiB, 100 * kGiB}, 4 * kHour));
  CHECK_FALSE(watch.check(limits, {11 * kGiB, 100 * kGiB}, 5 * kHour));
}

TEST_CASE("repository_space: a trend that empties the filesystem within days_left",
          "[daemon][alarm]") {
  nb::config::RepositorySpace limits;
  limits.days_left = 7;
  SpaceWatch watch;
  // 1 GiB a day less, 20 GiB left: 20 days, no alarm.
  for (int day = 0; day <= 3; ++day) {
    CHECK_FALSE(watch.check(limits, {(23 - day) * kGiB, 100 * kGiB}, day * 24 * kHour));
  }
  // Then 8 GiB in one day: 11 GiB lost in 4 days, 12 GiB left, full in 12 / 2.75 days.
  const auto alarm = watch.check(limits, {12 * kGiB, 100 * kGiB}, 4 * 24 * kHour);
  REQUIRE(alarm);
  CHECK_THAT(alarm->examples[0], Catch::Contains("full in 4.4 days"));
  // Space that grows raises nothing.
  SpaceWatch growing;
  CHECK_FALSE(growing.check(limits, {10 * kGiB, 100 * kGiB}, 0));
  CHECK_FALSE(growing.check(limits, {11 * kGiB, 100 * kGiB}, 48 * kHour));
}
