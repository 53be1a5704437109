// The scheduled copies' history in the state dir (copies.json), so that a restarted daemon
// neither copies again at once nor forgets when it last did, or that the last one failed.
// Keyed by CopyTarget::name(); written durably after every finished copy.
#pragma once

#include <map>
#include <string>

#include "nodebackupd/copy_slot.h"
#include "util/error.h"

namespace nb::daemon {

inline constexpr const char* kCopyStateFile = "copies.json";

using CopyHistories = std::map<std::string, CopyHistory>;  // by CopyTarget::name()

// A missing file is no history; an unreadable or malformed one is an error naming it (the
// caller logs it and starts afresh: at worst each copy runs once early).
Result<CopyHistories> load_copy_state(const std::string& state_dir);

// {"version": 1, "copies": [{"to", "node", "last_success_ns", "consecutive_failures",
//  "last_run": {...} or null}, ...]}
std::string copy_state_text(const std::map<std::string, std::unique_ptr<CopySlot>>& slots);
Result<> save_copy_state(const std::string& state_dir, const std::string& text);

}  // namespace nb::daemon
