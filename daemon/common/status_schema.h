// The `status` reply (DESIGN §7) as types. nodebackupd fills a StatusReport and serialises it;
// nodebackupctl parses the same types to draw its table, so the two cannot drift apart. The
// JSON stays the documented contract for other clients (field names as in nodebackupd(8)).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "repo/snapshot.h"
#include "util/error.h"

namespace nb::status {

struct Alarm {
  std::string kind;  // writeback_incomplete, diff_ineffective, store_untrusted
  uint64_t count = 0;
  std::vector<std::string> examples;
  std::string since;  // RFC 3339
};

// A finished run, as in status's last_run and in run --wait's "finished" event.
struct Run {
  bool ok = false;
  std::string started, finished;  // RFC 3339
  std::string result;             // ok, failed, interrupted
  std::optional<std::string> error;
  std::optional<std::string> failure;  // failed runs: permanent or transient
  std::optional<std::string> source;   // "snapshot": read back from the repository at start
  std::string snapshot;
  repo::RunCounts counts;
};

struct Progress {
  uint64_t files_read = 0, files_to_read = 0, bytes_read = 0;
};

struct Node {
  std::string id;
  std::string type;   // local, ssh
  std::string state;  // idle, queued, running, failing
  std::optional<std::string> next_run, last_success;
  int64_t interval_s = 0;
  int consecutive_failures = 0;
  uint64_t runs_ok = 0, runs_failed = 0;
  std::vector<Alarm> alarms;
  std::optional<Run> last_run;
  std::optional<Progress> progress;  // while running
  // What the node's transport cannot capture ("hard links, extended attributes …"), once a
  // run has opened it; absent when it captures everything.
  std::optional<std::string> cannot_capture;
};

// A scheduled copy's last run.
struct CopyRun {
  bool ok = false;
  std::string started, finished;  // RFC 3339
  std::string result;             // ok, failed
  std::optional<std::string> error;
  uint64_t snapshots_copied = 0, snapshots_present = 0, blobs_copied = 0, bytes_copied = 0;
};

// A scheduled copy (the config's "copy").
struct Copy {
  std::string to;
  std::optional<std::string> node;  // absent: every node
  std::string state;                // idle, queued, running, failing
  int64_t interval_s = 0;
  std::optional<std::string> next_run, last_success;
  int consecutive_failures = 0;
  std::optional<CopyRun> last_run;
};

struct Store {
  uint64_t entries = 0;
  uint64_t missing = 0;  // untrusted: "MISSING" or legacy
  bool dirty = false;
  std::optional<std::string> last_snapshot;
};

struct Report {
  std::string version;
  int64_t pid = 0;
  int64_t uptime_s = 0;
  std::string config;
  Store store;
  uint64_t running = 0;
  std::vector<Node> nodes;
  std::vector<Copy> copies;  // a daemon before scheduled copies sends none
};

nlohmann::json to_json(const Run& run);
nlohmann::json to_json(const Report& report);  // with "ok": true
// A reply that does not have the schema's shape is a protocol error naming the field.
Result<Run> run_from_json(const nlohmann::json& j);
Result<Report> report_from_json(const nlohmann::json& j);

}  // namespace nb::status
