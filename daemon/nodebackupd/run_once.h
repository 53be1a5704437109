// `nodebackupd --run-once`: back up every node (or the named ones) once, as many at once as
// max_concurrent_jobs allows (as the daemon does), then exit.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace nb {

// Returns the process exit code: 0 if every job succeeded, 1 otherwise.
int run_once(const config::Config& config, const std::vector<std::string>& node_ids);

}  // namespace nb
