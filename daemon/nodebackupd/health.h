// The daemon's own watch over diff detection (DESIGN §1 item 4): the alarms that would have
// caught the original incident — remote files never written back, re-read every run — without
// anyone reading logs.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "backup/backup_job.h"
#include "store/hash_store.h"

namespace nb::daemon {

inline constexpr const char* kWritebackIncomplete = "writeback_incomplete";
inline constexpr const char* kDiffIneffective = "diff_ineffective";
inline constexpr const char* kStoreUntrusted = "store_untrusted";
// No successful run for longer than the node's stale_after, whatever the reason: failing
// runs, runs that never start, or a daemon that was down.
inline constexpr const char* kStale = "stale";
// The repository's own alarm (not a node's): its filesystem is running out of space.
inline constexpr const char* kRepositorySpace = "repository_space";

// Runs in a row that must re-read the same files with unchanged content before
// diff_ineffective is raised: one is normal after a `touch`, three in a row is a pattern.
inline constexpr int kIneffectiveRuns = 3;
inline constexpr size_t kAlarmExamples = 5;

struct Alarm {
  std::string kind;
  uint64_t count = 0;
  std::vector<std::string> examples;
  int64_t since_ns = 0;  // when it was first raised; kept while it stays raised
};

// One node's alarms. Not thread-safe: the daemon's event loop owns it.
class NodeHealth {
 public:
  // After a run that completed: what it could not write back, which files it re-read for
  // nothing, and what the store now holds for the node (`trusted_entries` counts entries
  // the quick check may use).
  void after_run(const backup::JobResult& result, size_t trusted_entries,
                 const store::HashStore::Untrusted& untrusted, int64_t now_ns);
  // At start and after a reload, before the node has run: the store may hold "MISSING".
  void check_store(const store::HashStore::Untrusted& untrusted, int64_t now_ns);
  // Raises stale when the newest success — or, for a node never backed up, `watching_since_ns`
  // (when the daemon began to look after it) — is older than `limit`; clears it otherwise.
  void check_stale(int64_t last_success_ns, int64_t watching_since_ns, std::chrono::seconds limit,
                   int64_t now_ns);

  const std::map<std::string, Alarm>& alarms() const { return alarms_; }
  // "02_node: alarm writeback_incomplete: 9 files ..., e.g. /a, /b" for the log.
  static std::string describe(const std::string& node, const Alarm& alarm);

 private:
  void set(const char* kind, uint64_t count, std::vector<std::string> examples, int64_t now_ns);

  std::unordered_map<std::string, int> touched_streak_;  // path → runs in a row touched
  std::map<std::string, Alarm> alarms_;
};

}  // namespace nb::daemon
