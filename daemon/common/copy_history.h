// The scheduled copies' history in the state dir (copies.json), so that a restarted daemon
// neither copies again at once nor forgets when it last did, or that the last one failed.
// Keyed by CopyTarget::name(); written durably after every finished copy.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "repo/copy.h"
#include "util/error.h"

namespace nb::daemon {

struct CopyRun {
  int64_t started_ns = 0;
  int64_t finished_ns = 0;
  bool ok = false;
  bool interrupted = false;  // the daemon stopped it; not recorded in the state dir
  std::optional<std::string> error;
  repo::CopyReport report;
};

// What survives a restart (<state_dir>/copies.json): enough to schedule the next copy one
// interval after the last, to show the last result, and to know a failure was reported.
struct CopyHistory {
  int64_t last_success_ns = 0;
  int consecutive_failures = 0;
  std::optional<CopyRun> last_run;
};

inline constexpr const char* kCopyStateFile = "copies.json";

using CopyHistories = std::map<std::string, CopyHistory>;  // by CopyTarget::name()

// A missing file is no history; an unreadable or malformed one is an error naming it (the
// caller logs it and starts afresh: at worst each copy runs once early).
Result<CopyHistories> load_copy_state(const std::string& state_dir);
// The file's text, read from `path` (named in errors). Never throws.
Result<CopyHistories> parse_copy_state(std::string_view text, const std::string& path);

// {"version": 1, "copies": [{"to", "node", "last_success_ns", "consecutive_failures",
//  "last_run": {...} or null}, ...]}
std::string copy_state_text(const std::vector<std::pair<config::CopyTarget, CopyHistory>>& copies);
Result<> save_copy_state(const std::string& state_dir, const std::string& text);

}  // namespace nb::daemon
