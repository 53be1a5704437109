#include "repo/retention.h"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <optional>
#include <tuple>

namespace nb::repo {

namespace chr = std::chrono;

namespace period {

namespace {
chr::sys_days day_of(int64_t ns) {
  return chr::floor<chr::days>(chr::sys_time<chr::nanoseconds>(chr::nanoseconds(ns)));
}
}  // namespace

int64_t hour(int64_t ns) {
  return chr::floor<chr::hours>(chr::nanoseconds(ns)).count();
}

int64_t day(int64_t ns) {
  return day_of(ns).time_since_epoch().count();
}

int64_t iso_week(int64_t ns) {
  // ISO weeks run Monday to Sunday; two instants share an ISO week (year and number) exactly
  // when they share the week's Monday.
  const chr::sys_days d = day_of(ns);
  const unsigned since_monday = chr::weekday(d).iso_encoding() - 1;
  return (d - chr::days(since_monday)).time_since_epoch().count();
}

int64_t month(int64_t ns) {
  const chr::year_month_day ymd(day_of(ns));
  return int64_t{static_cast<int>(ymd.year())} * 12 + static_cast<unsigned>(ymd.month()) - 1;
}

int64_t year(int64_t ns) {
  return static_cast<int>(chr::year_month_day(day_of(ns)).year());
}

}  // namespace period

namespace {

struct Rule {
  const char* name;
  int count;
  int64_t (*bucket)(int64_t ns);  // nullptr: every snapshot is its own bucket ("last")
};

bool empty_policy(const RetentionPolicy& p) {
  return p.last == 0 && p.hourly == 0 && p.daily == 0 && p.weekly == 0 && p.monthly == 0 &&
         p.yearly == 0;
}

}  // namespace

std::vector<RetentionVerdict> apply_retention(const std::vector<SnapshotRecord>& snapshots,
                                              const RetentionPolicy& policy) {
  std::vector<RetentionVerdict> verdicts(snapshots.size());
  std::vector<size_t> newest_first(snapshots.size());
  std::iota(newest_first.begin(), newest_first.end(), size_t{0});
  std::sort(newest_first.begin(), newest_first.end(), [&](size_t a, size_t b) {
    return std::tie(snapshots[a].finished_ns, snapshots[a].id) >
           std::tie(snapshots[b].finished_ns, snapshots[b].id);
  });

  Rule rules[] = {{"last", policy.last, nullptr},
                  {"hourly", policy.hourly, period::hour},
                  {"daily", policy.daily, period::day},
                  {"weekly", policy.weekly, period::iso_week},
                  {"monthly", policy.monthly, period::month},
                  {"yearly", policy.yearly, period::year}};
  std::optional<int64_t> last_bucket[std::size(rules)];
  const bool keep_all = empty_policy(policy);
  bool seen_complete = false;

  for (const size_t i : newest_first) {
    const SnapshotRecord& record = snapshots[i];
    RetentionVerdict& verdict = verdicts[i];
    if (record.partial) {
      verdict.keep = !seen_complete;
      verdict.reasons.push_back(seen_complete ? "partial, superseded"
                                              : "partial, newer than the latest complete snapshot");
      continue;
    }
    if (!seen_complete) verdict.reasons.push_back("latest");
    seen_complete = true;
    if (keep_all) verdict.reasons.push_back("empty policy");
    for (size_t r = 0; r < std::size(rules); ++r) {
      Rule& rule = rules[r];
      if (rule.count <= 0) continue;
      // "last" has no periods: every snapshot opens a new one.
      const int64_t bucket = rule.bucket ? rule.bucket(record.finished_ns) : 0;
      if (rule.bucket && last_bucket[r] == bucket) continue;
      last_bucket[r] = bucket;
      --rule.count;
      verdict.reasons.push_back(rule.name);
    }
    verdict.keep = !verdict.reasons.empty();
    if (!verdict.keep) verdict.reasons.push_back("not selected by the policy");
  }
  return verdicts;
}

}  // namespace nb::repo
