// What /metrics adds to the daemon's metrics (status_report.h): facts only the dashboard's
// caches know — the repository's size and each node's snapshot count.
#pragma once

#include <optional>
#include <string>

#include "nodebackupd/http/run_history.h"

namespace nb::daemon::http {

// Families in the Prometheus text format 0.0.4; the size family is left out while unknown.
std::string repository_metrics(std::optional<uint64_t> repository_bytes,
                               const Histories* histories);

// The sum of the sizes of the repository's files (blocking: lists the whole storage).
Result<uint64_t> repository_size(const repo::Repository& repo);

}  // namespace nb::daemon::http
