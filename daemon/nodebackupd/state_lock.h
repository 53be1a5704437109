// Only one process backs up from a state_dir at a time: the daemon and --run-once take an
// exclusive flock on <state_dir>/lock. The kernel drops it when the holder dies, so a crash
// never leaves a lock behind.
#pragma once

#include <string>

#include "util/error.h"
#include "util/file.h"

namespace nb {

// Fails at once (never waits) when another process holds the lock, naming its pid.
Result<UniqueFd> lock_state_dir(const std::string& state_dir);

}  // namespace nb
