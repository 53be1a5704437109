// The blocking half of a run, executed on a worker thread: open the node's filesystem, run the
// one BackupJob, and measure what the store now holds for the node (for the health alarms).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "backup/backup_job.h"
#include "config/config.h"
#include "fs/node_fs.h"
#include "repo/repository.h"
#include "store/hash_store.h"

namespace nb::daemon {

struct JobOutcome {
  backup::JobResult result;
  size_t trusted_entries = 0;
  store::HashStore::Untrusted untrusted;
  // Hooks that failed without failing the run ("before_failure": "continue", or `after`).
  std::vector<std::string> hook_failures;
  // fs::missing_metadata() of the node's filesystem, once it was opened.
  std::optional<std::string> cannot_capture;
};

// The job between the node's hooks, on the one connection the job uses (hooks.h). A failing
// `before` fails the run unless the node says "before_failure": "continue"; hooks that failed
// without failing the run are added to `hook_failures`.
backup::JobResult hooked_job(const config::NodeConfig& node, fs::NodeFs& fs,
                             store::HashStore& store, repo::Repository& repo,
                             backup::JobOptions options, std::vector<std::string>& hook_failures);

JobOutcome run_backup(const config::NodeConfig& node, store::HashStore& store,
                      repo::Repository& repo, std::function<bool()> stop_requested,
                      std::function<void(const backup::Progress&)> progress);

// What a run would read now (walk and quick check only): nothing is read, stored or written
// back. `result.ok` false with `result.error` when the node cannot be walked.
backup::JobResult run_diff(const config::NodeConfig& node, store::HashStore& store,
                           repo::Repository& repo);

}  // namespace nb::daemon
