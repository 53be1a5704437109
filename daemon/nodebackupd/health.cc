#include "nodebackupd/health.h"

#include <fmt/format.h>

#include "config/duration.h"
#include "util/clock.h"

namespace nb::daemon {

void NodeHealth::after_run(const backup::JobResult& result, size_t trusted_entries,
                           const store::HashStore::Untrusted& untrusted, int64_t now_ns) {
  // (a) Every scanned file must leave a trusted entry behind, except those the job itself
  // reports it could not write back. The job's own list is checked against the store, not
  // taken on trust: a path that forgot to write back (the incident) reports nothing.
  const uint64_t expected =
      result.counts.scanned -
      std::min<uint64_t>(result.counts.scanned, result.not_written_back.size());
  const uint64_t missing = expected > trusted_entries ? expected - trusted_entries : 0;
  std::vector<std::string> examples(
      result.not_written_back.begin(),
      result.not_written_back.begin() + std::min(result.not_written_back.size(), kAlarmExamples));
  set(kWritebackIncomplete, result.not_written_back.size() + missing, std::move(examples), now_ns);

  // (b) The same files read again with unchanged content, run after run.
  std::unordered_map<std::string, int> streak;
  std::vector<std::string> repeated;
  uint64_t repeated_count = 0;
  for (const auto& path : result.touched) {
    const auto it = touched_streak_.find(path);
    const int runs = (it == touched_streak_.end() ? 0 : it->second) + 1;
    if (runs >= kIneffectiveRuns) {
      ++repeated_count;
      if (repeated.size() < kAlarmExamples) repeated.push_back(path);
    }
    streak.emplace(path, runs);
  }
  touched_streak_ = std::move(streak);
  set(kDiffIneffective, repeated_count, std::move(repeated), now_ns);

  check_store(untrusted, now_ns);
}

void NodeHealth::check_store(const store::HashStore::Untrusted& untrusted, int64_t now_ns) {
  set(kStoreUntrusted, untrusted.count, untrusted.examples, now_ns);
}

void NodeHealth::check_stale(int64_t last_success_ns, int64_t watching_since_ns,
                             std::chrono::seconds limit, int64_t now_ns) {
  const int64_t since = last_success_ns > 0 ? last_success_ns : watching_since_ns;
  const int64_t due = since + std::chrono::nanoseconds(limit).count();
  if (now_ns < due) {
    alarms_.erase(kStale);
    return;
  }
  if (alarms_.contains(kStale)) return;
  const std::string what = last_success_ns > 0
                               ? "last successful backup " + rfc3339(last_success_ns)
                               : "never backed up since " + rfc3339(watching_since_ns);
  set(kStale, 1, {what + ", limit " + config::format_duration(limit)}, due);
}

void NodeHealth::set(const char* kind, uint64_t count, std::vector<std::string> examples,
                     int64_t now_ns) {
  if (count == 0) {
    alarms_.erase(kind);
    return;
  }
  auto [it, raised] = alarms_.try_emplace(kind);
  if (raised) {
    it->second.kind = kind;
    it->second.since_ns = now_ns;
  }
  it->second.count = count;
  it->second.examples = std::move(examples);
}

std::string NodeHealth::describe(const std::string& node, const Alarm& alarm) {
  std::string what;
  if (alarm.kind == kWritebackIncomplete) {
    what = "files scanned but without a written-back hash (they are read again every run)";
  } else if (alarm.kind == kDiffIneffective) {
    what = fmt::format(
        "files re-read with unchanged content {} runs in a row (diff detection "
        "is not working for them)",
        kIneffectiveRuns);
  } else if (alarm.kind == kStale) {
    what = "node without a successful backup for too long:";
  } else if (alarm.kind == kRepositorySpace) {
    what = "repository running out of space:";
  } else {
    what = "untrusted (\"MISSING\" or legacy) entries in the hash store";
  }
  if (alarm.kind == kStale || alarm.kind == kRepositorySpace) {
    // Not about files: the detail says what is wrong.
    std::string line = fmt::format("{}: alarm {}: {}", node, alarm.kind, what);
    for (const auto& detail : alarm.examples) line += " " + detail;
    return line;
  }
  std::string line = fmt::format("{}: alarm {}: {} {}", node, alarm.kind, alarm.count, what);
  for (size_t i = 0; i < alarm.examples.size(); ++i) {
    line += (i == 0 ? ", e.g. " : ", ") + alarm.examples[i];
  }
  return line;
}

}  // namespace nb::daemon
