#include "nodebackupd/job_runner.h"

#include <malloc.h>
#include <spdlog/spdlog.h>

#include "nodebackupd/health.h"
#include "nodebackupd/hooks.h"
#include "nodebackupd/open_node.h"
#include "util/clock.h"

namespace nb::daemon {

namespace {

backup::JobResult failed_run(const config::NodeConfig& node, Error error, bool log) {
  backup::JobResult failed;
  failed.started_ns = failed.finished_ns = now_ns();
  if (log) spdlog::error("{} backup failed: {}", node.id, error.message());
  failed.error = std::move(error);
  return failed;
}

// The after hook sees how the run ended; its own failure is reported, never the run's.
void run_after(const config::NodeConfig& node, fs::NodeFs& fs, const backup::JobResult& result,
               std::vector<std::string>& hook_failures) {
  if (!node.hooks.after) return;
  if (auto r = run_hook(node, fs, "after", *node.hooks.after, result_environment(result)); !r) {
    spdlog::warn("{}", r.error().message());
    hook_failures.push_back(r.error().message());
  }
}

}  // namespace

backup::JobResult hooked_job(const config::NodeConfig& node, fs::NodeFs& fs,
                             store::HashStore& store, repo::Repository& repo,
                             backup::JobOptions options, std::vector<std::string>& hook_failures) {
  if (node.hooks.before) {
    if (auto r = run_hook(node, fs, "before", *node.hooks.before); !r) {
      if (node.hooks.before_failure_fails) {
        auto failed = failed_run(node, r.error(), true);
        run_after(node, fs, failed, hook_failures);
        return failed;
      }
      spdlog::warn("{}; the run goes on (before_failure: continue)", r.error().message());
      hook_failures.push_back(r.error().message());
    }
  }
  auto result = backup::BackupJob(node.id, node.paths, std::move(options)).run(fs, store, repo);
  run_after(node, fs, result, hook_failures);
  return result;
}

namespace {

backup::JobResult run_job(const config::NodeConfig& node, store::HashStore& store,
                          repo::Repository& repo, backup::JobOptions options,
                          std::vector<std::string>* hook_failures = nullptr,
                          std::optional<std::string>* cannot_capture = nullptr) {
  const bool log = !options.dry_run;
  // The worker boundary: whatever escapes the job (a bug, a bad_alloc on hostile input) fails
  // this node's run and is logged; it must never end the process that serves every node.
  // Nothing is written back by a job that did not reach its commit.
  try {
    options.scan = scan_rules(node);
    options.dumps = job_dumps(node);
    auto fs = open_node_fs(node);
    if (!fs) return failed_run(node, fs.error(), log);
    if (cannot_capture) *cannot_capture = fs::missing_metadata((*fs)->capabilities());
    if (hook_failures) {
      return hooked_job(node, **fs, store, repo, std::move(options), *hook_failures);
    }
    return backup::BackupJob(node.id, node.paths, std::move(options)).run(**fs, store, repo);
  } catch (const std::exception& e) {
    return failed_run(node, Error("backup", node.id, 0, std::string("internal error: ") + e.what()),
                      true);
  }
}

}  // namespace

JobOutcome run_backup(const config::NodeConfig& node, store::HashStore& store,
                      repo::Repository& repo, std::function<bool()> stop_requested,
                      std::function<void(const backup::Progress&)> progress) {
  backup::JobOptions options;
  options.stop_requested = std::move(stop_requested);
  options.progress = std::move(progress);
  JobOutcome outcome;
  outcome.result = run_job(node, store, repo, std::move(options), &outcome.hook_failures,
                           &outcome.cannot_capture);
  // Measured here, off the event loop: it walks every entry of the node.
  outcome.untrusted = store.untrusted(node.id, kAlarmExamples);
  outcome.trusted_entries = store.entries(node.id)->size() - outcome.untrusted.count;
  // A run's scan and per-file state (~110 bytes a file) are freed by now, but glibc keeps
  // freed pages of a thread's arena: without this an idle daemon stayed at its last run's
  // peak (53 MiB after a 100,000-file run against 24 MiB before it).
  ::malloc_trim(0);
  return outcome;
}

backup::JobResult run_diff(const config::NodeConfig& node, store::HashStore& store,
                           repo::Repository& repo) {
  backup::JobOptions options;
  options.dry_run = true;
  return run_job(node, store, repo, std::move(options));
}

}  // namespace nb::daemon
