// What the daemon tells an operator about (DESIGN §9 "Being told"): one event, whatever the
// target it goes to. The JSON form is the documented webhook body (nodebackup.json(5)).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.h"

namespace nb::notify {

using config::Severity;

// The event kinds. run_started and run_finished come with every run (for ping targets); the
// others mark a change of state.
inline constexpr const char* kRunStarted = "run_started";
inline constexpr const char* kRunFinished = "run_finished";
inline constexpr const char* kRunFailed = "run_failed";
inline constexpr const char* kRunRecovered = "run_recovered";
inline constexpr const char* kAlarmRaised = "alarm_raised";
inline constexpr const char* kAlarmCleared = "alarm_cleared";
inline constexpr const char* kHookFailed = "hook_failed";
inline constexpr const char* kTest = "test";
// A scheduled off-site copy (the config's "copy") failed, or succeeded after one that did.
inline constexpr const char* kCopyFailed = "copy_failed";
inline constexpr const char* kCopyRecovered = "copy_recovered";

struct Event {
  std::string kind;
  Severity severity = Severity::info;
  std::string node;   // empty: about the repository or the daemon itself
  std::string alarm;  // alarm_raised, alarm_cleared: the alarm's kind
  std::string summary;
  std::optional<std::string> error;
  std::optional<bool> ok;  // run_finished: the run's result
  std::vector<std::pair<std::string, uint64_t>> counts;
  std::vector<std::string> examples;
  int consecutive_failures = 0;
  bool repeat = false;  // a standing alarm sent again after the target's renotify interval
  int64_t time_ns = 0;
  std::string host;     // the backup server
  std::string copy_to;  // copy_failed, copy_recovered: the copy's target ("to")
};

// {"version": 1, "host", "node", "kind", "severity", "summary", "alarm", "error", "ok",
//  "counts": {...}, "examples": [...], "consecutive_failures", "repeat", "time"}, and "ok"
// for run_finished, "copy_to" for the copy events.
nlohmann::json to_json(const Event& event);

// "nodebackup 02_node: run failed" — a subject line or a notification's title.
std::string title(const Event& event);

// The summary, then the error, the counts and the examples, one per line: a mail body or a
// chat message.
std::string text(const Event& event);

}  // namespace nb::notify
