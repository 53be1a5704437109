// Retention policies on records with chosen timestamps, against expectations worked out by
// hand (restic's `forget` semantics, UTC, ISO weeks).
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <random>

#include "repo/retention.h"

using namespace nb;
using namespace nb::repo;

namespace {

namespace chr = std::chrono;

// "2026-11-29 10:05" (UTC) → a record named by that text, finished then.
SnapshotRecord at(const std::string& when, bool partial = false) {
  int y, mo, d, h, mi;
  REQUIRE(std::sscanf(when.c_str(), "%d-%d-%d %d:%d", &y, &mo, &d, &h, &mi) == 5);
  const auto day = chr::sys_days(chr::year(y) / mo / d);
  const auto t = day + chr::hours(h) + chr::minutes(mi);
  SnapshotRecord r;
  r.id = when;
  r.node = "01_node";
  r.finished_ns = chr::duration_cast<chr::nanoseconds>(t.time_since_epoch()).count();
  r.started_ns = r.finished_ns - 1'000'000'000;
  r.partial = partial;
  return r;
}

RetentionPolicy only(int last, int hourly, int daily, int weekly, int monthly, int yearly = 0) {
  return {.last = last,
          .hourly = hourly,
          .daily = daily,
          .weekly = weekly,
          .monthly = monthly,
          .yearly = yearly};
}

// The ids kept, newest first; the input is shuffled first, since order must not matter.
std::vector<std::string> kept(std::vector<SnapshotRecord> records, const RetentionPolicy& policy) {
  std::shuffle(records.begin(), records.end(), std::mt19937(42));
  const auto verdicts = apply_retention(records, policy);
  std::vector<std::string> out;
  for (size_t i = 0; i < records.size(); ++i) {
    if (verdicts[i].keep) out.push_back(records[i].id);
  }
  std::sort(out.rbegin(), out.rend());  // ids are the timestamps: text order is time order
  return out;
}

using Ids = std::vector<std::string>;

}  // namespace

TEST_CASE("last N keeps the N newest snapshots", "[retention]") {
  const std::vector<SnapshotRecord> s = {at("2026-11-29 08:00"), at("2026-11-29 10:00"),
                                         at("2026-11-29 12:00"), at("2026-11-29 14:00"),
                                         at("2026-11-29 16:00")};
  CHECK(kept(s, only(3, 0, 0, 0, 0)) ==
        Ids{"2026-11-29 16:00", "2026-11-29 14:00", "2026-11-29 12:00"});
  CHECK(kept(s, only(1, 0, 0, 0, 0)) == Ids{"2026-11-29 16:00"});
  CHECK(kept(s, only(9, 0, 0, 0, 0)).size() == 5);
}

TEST_CASE("hourly keeps the newest of each of the last N hours that have a snapshot",
          "[retention]") {
  // Hour 12 has no snapshot, so it does not use up one of the two hours.
  const std::vector<SnapshotRecord> s = {at("2026-11-29 10:05"), at("2026-11-29 10:40"),
                                         at("2026-11-29 11:10"), at("2026-11-29 11:59"),
                                         at("2026-11-29 13:00")};
  CHECK(kept(s, only(0, 2, 0, 0, 0)) == Ids{"2026-11-29 13:00", "2026-11-29 11:59"});
  CHECK(kept(s, only(0, 3, 0, 0, 0)) ==
        Ids{"2026-11-29 13:00", "2026-11-29 11:59", "2026-11-29 10:40"});
}

TEST_CASE("daily buckets are UTC days: 23:59 and 00:00 are different days", "[retention]") {
  const std::vector<SnapshotRecord> s = {at("2026-11-26 08:00"), at("2026-11-26 20:00"),
                                         at("2026-11-27 09:00"), at("2026-11-28 23:59"),
                                         at("2026-11-29 00:00"), at("2026-11-29 07:00")};
  CHECK(kept(s, only(0, 0, 2, 0, 0)) == Ids{"2026-11-29 07:00", "2026-11-28 23:59"});
  CHECK(kept(s, only(0, 0, 4, 0, 0)) ==
        Ids{"2026-11-29 07:00", "2026-11-28 23:59", "2026-11-27 09:00", "2026-11-26 20:00"});
}

TEST_CASE("weekly buckets are ISO weeks, Monday to Sunday, across a year's end", "[retention]") {
  // 2026-12-28 (Mon) and 2027-01-03 (Sun) are both in ISO week 2026-W53; 2026-12-27 is a
  // Sunday, the end of W52; 2026-12-20 is in W51. Weeks counted by calendar year or starting
  // on Sunday would keep different snapshots.
  const std::vector<SnapshotRecord> s = {at("2026-12-20 10:00"), at("2026-12-21 10:00"),
                                         at("2026-12-27 10:00"), at("2026-12-28 10:00"),
                                         at("2027-01-03 10:00")};
  CHECK(kept(s, only(0, 0, 0, 2, 0)) == Ids{"2027-01-03 10:00", "2026-12-27 10:00"});
  CHECK(kept(s, only(0, 0, 0, 3, 0)) ==
        Ids{"2027-01-03 10:00", "2026-12-27 10:00", "2026-12-20 10:00"});
  CHECK(period::iso_week(at("2027-01-04 00:00").finished_ns) !=
        period::iso_week(at("2027-01-03 23:59").finished_ns));
}

TEST_CASE("monthly keeps the newest of each of the last N months with a snapshot", "[retention]") {
  // November has none, so October's newest is the third month.
  const std::vector<SnapshotRecord> s = {at("2026-10-15 12:00"), at("2026-10-31 23:00"),
                                         at("2026-12-01 00:00"), at("2026-12-31 23:00"),
                                         at("2027-01-01 00:30")};
  CHECK(kept(s, only(0, 0, 0, 0, 3)) ==
        Ids{"2027-01-01 00:30", "2026-12-31 23:00", "2026-10-31 23:00"});
  CHECK(kept(s, only(0, 0, 0, 0, 0, 1)) == Ids{"2027-01-01 00:30"});
  CHECK(kept(s, only(0, 0, 0, 0, 0, 2)) == Ids{"2027-01-01 00:30", "2026-12-31 23:00"});
}

TEST_CASE("rules count independently and a snapshot kept by several says so", "[retention]") {
  const std::vector<SnapshotRecord> s = {at("2026-11-28 09:00"), at("2026-11-28 18:00"),
                                         at("2026-11-29 10:00"), at("2026-11-29 12:00"),
                                         at("2026-11-29 14:00")};
  std::vector<SnapshotRecord> records = s;
  const auto verdicts = apply_retention(records, only(2, 0, 2, 0, 0));
  CHECK(verdicts[4].reasons == std::vector<std::string>{"latest", "last", "daily"});
  CHECK(verdicts[3].reasons == std::vector<std::string>{"last"});
  CHECK(verdicts[1].reasons == std::vector<std::string>{"daily"});
  CHECK_FALSE(verdicts[2].keep);
  CHECK_FALSE(verdicts[0].keep);
  CHECK(verdicts[0].reasons == std::vector<std::string>{"not selected by the policy"});
}

TEST_CASE("the latest complete snapshot is always kept and partial ones only when newer",
          "[retention]") {
  // A run was interrupted (checkpoints at 09:30, 09:45), a later run completed at 10:00, and
  // the run after it was interrupted too (checkpoint at 12:30).
  const std::vector<SnapshotRecord> s = {at("2026-11-28 08:00"), at("2026-11-29 09:30", true),
                                         at("2026-11-29 09:45", true), at("2026-11-29 10:00"),
                                         at("2026-11-29 12:30", true)};
  // Every rule counts periods of complete snapshots; with last 1 only 10:00 is chosen.
  CHECK(kept(s, only(1, 0, 0, 0, 0)) == Ids{"2026-11-29 12:30", "2026-11-29 10:00"});
  // Daily 1: the newest complete one, whatever the partial at 12:30 is.
  CHECK(kept(s, only(0, 0, 1, 0, 0)) == Ids{"2026-11-29 12:30", "2026-11-29 10:00"});
  std::vector<SnapshotRecord> records = s;
  const auto verdicts = apply_retention(records, only(0, 1, 0, 0, 0));
  CHECK(verdicts[3].reasons == std::vector<std::string>{"latest", "hourly"});
  CHECK(verdicts[1].reasons == std::vector<std::string>{"partial, superseded"});

  // Only partial snapshots: nothing is complete yet, so all of them stay.
  CHECK(kept({at("2026-11-29 09:30", true), at("2026-11-29 09:45", true)}, only(1, 0, 0, 0, 0))
            .size() == 2);
}

TEST_CASE("an empty policy keeps everything, the default one is last 24, daily 7, weekly 4",
          "[retention]") {
  std::vector<SnapshotRecord> s;
  for (int day = 1; day <= 30; ++day) {
    for (int hour = 0; hour < 24; hour += 6) {
      s.push_back(at(fmt::format("2026-11-{:02} {:02}:00", day, hour)));
    }
  }
  CHECK(kept(s, only(0, 0, 0, 0, 0)).size() == s.size());
  const RetentionPolicy defaults;
  CHECK(defaults.last == 24);
  CHECK(defaults.daily == 7);
  CHECK(defaults.weekly == 4);
  // last 24: Nov 25 00:00 … Nov 30 18:00 (6 days × 4); daily 7 adds Nov 24 18:00; weekly 4:
  // weeks of Nov 30 (Mon), Nov 23, Nov 16, Nov 9 → Nov 30, 29, 22, 15 at 18:00: adds Nov 22
  // and Nov 15.
  const auto ids = kept(s, defaults);
  CHECK(ids.size() == 24 + 1 + 2);
  CHECK(ids.back() == "2026-11-15 18:00");
  CHECK(std::count(ids.begin(), ids.end(), "2026-11-24 18:00") == 1);
  CHECK(std::count(ids.begin(), ids.end(), "2026-11-22 18:00") == 1);
}
