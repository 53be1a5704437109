// Log set-up for both programs: one line per event on stderr. Under journald (stderr is the
// stream JOURNAL_STREAM names) lines carry syslog priority prefixes and no timestamp, so
// `journalctl -p warning` works; elsewhere they are timestamped for humans.
#pragma once

#include <string>

#include "util/error.h"

namespace nb {

// `level`: trace, debug, info, warning, error. Fails on an unknown level.
Result<> setup_logging(const std::string& level);

bool stderr_is_journal();

}  // namespace nb
