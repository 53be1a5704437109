// A node's before/after hooks (nodebackup.json(5) "hooks"): shell command lines run on the
// node itself around each run, on the worker thread that runs the job. Their output goes to
// the log under the node's name; a hook that outlives its timeout is killed.
#pragma once

#include <string>
#include <vector>

#include "backup/backup_job.h"
#include "config/config.h"
#include "fs/node_fs.h"
#include "util/error.h"

namespace nb::daemon {

// Runs `command` for `which` ("before", "after") on the node with NB_NODE, NB_HOOK and `env`
// (NAME=value) set. Fails, naming the hook, when it exits non-zero, times out or cannot start.
Result<> run_hook(const config::NodeConfig& node, fs::NodeFs& fs, const char* which,
                  const std::string& command, const std::vector<std::string>& env = {});

// What an `after` hook is told: NB_RESULT (ok, failed, interrupted), NB_ERROR, NB_SNAPSHOT
// and the run's counts (NB_SCANNED, NB_CHANGED, NB_NEW, NB_DELETED, NB_ERRORS,
// NB_BYTES_STORED).
std::vector<std::string> result_environment(const backup::JobResult& result);

}  // namespace nb::daemon
