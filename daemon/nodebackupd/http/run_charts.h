// The run-history charts as inline SVG, drawn on the server so they need no script. What the
// incident looked like — the same files re-read every run with nothing changed, or the same
// bytes stored again — is a wall of "touched" bars or a "stored" line that never drops to zero.
#pragma once

#include <string>
#include <vector>

#include "nodebackupd/http/run_history.h"

namespace nb::daemon::http {

// Files read per run, stacked: touched (read, same content), changed, new. One <g class="run
// ok|partial|failed"> per run, with its numbers as a tooltip; a failed run is a red bar.
std::string files_chart(const std::vector<RunRow>& runs);

// Bytes read and bytes stored per run, as two lines.
std::string bytes_chart(const std::vector<RunRow>& runs);

// The overview's small chart of the last `count` runs (class "spark-run" per run).
std::string sparkline(const std::vector<RunRow>& runs, size_t count = 30);

}  // namespace nb::daemon::http
