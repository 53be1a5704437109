#include "nodebackupd/run_once.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "backup/backup_job.h"
#include "common/exit_codes.h"
#include "common/repository_config.h"
#include "nodebackupd/job_runner.h"
#include "nodebackupd/open_node.h"
#include "nodebackupd/state_lock.h"
#include "store/hash_store.h"
#include "util/clock.h"

namespace nb {

namespace {

bool run_node(const config::NodeConfig& node, store::HashStore& store, repo::Repository& repo) {
  try {  // one node's failure, whatever it is, must not stop the others' runs
    auto fs = open_node_fs(node);
    if (!fs) {
      spdlog::error("{} backup failed: {}", node.id, fs.error().message());
      return false;
    }
    backup::JobOptions options;
    options.scan = scan_rules(node);
    options.dumps = job_dumps(node);
    // The node's hooks run around a run-once run as around the daemon's.
    std::vector<std::string> hook_failures;
    return daemon::hooked_job(node, **fs, store, repo, options, hook_failures).ok;
  } catch (const std::exception& e) {
    spdlog::error("{} backup failed: internal error: {}", node.id, e.what());
    return false;
  }
}

}  // namespace

int run_once(const config::Config& config, const std::vector<std::string>& node_ids) {
  std::vector<const config::NodeConfig*> nodes;
  for (const auto& id : node_ids) {
    const auto* node = config.find_node(id);
    if (node == nullptr) {
      spdlog::error("no node \"{}\" in {}", id, config.source);
      return kExitUsage;
    }
    nodes.push_back(node);
  }
  if (node_ids.empty()) {
    for (const auto& node : config.nodes) nodes.push_back(&node);
  }
  auto lock = lock_state_dir(config.state_dir);
  if (!lock) {
    spdlog::error("{}", lock.error().message());
    return kExitFailure;
  }
  store::HashStore store;
  store.load_async(config.state_dir);  // logs what it could not use
  auto repo = open_repository(config, /*create=*/true);
  if (!repo) {
    spdlog::error("{}", repo.error().message());
    return kExitFailure;
  }
  // As many nodes at once as the daemon runs (max_concurrent_jobs): each a thread of its own,
  // sharing the store and the repository as the daemon's workers do.
  std::atomic<size_t> next{0};
  std::atomic<bool> all_ok{true};
  std::mutex save_mutex;
  const auto worker = [&] {
    for (size_t i; (i = next++) < nodes.size();) {
      if (!run_node(*nodes[i], store, **repo)) all_ok = false;
      // Saved after each node, so a crash later in the run does not cost this node's work.
      const std::lock_guard saving(save_mutex);
      const int64_t save_start = now_ns();
      auto saved = store.save(config.state_dir);
      spdlog::debug("hash store: saved in {:.3f}s",
                    static_cast<double>(now_ns() - save_start) / 1e9);
      if (!saved) {
        spdlog::error("hash store: {}", saved.error().message());
        all_ok = false;
      }
    }
  };
  const size_t workers =
      std::min(nodes.size(), static_cast<size_t>(std::max(1, config.max_concurrent_jobs)));
  std::vector<std::thread> threads;
  for (size_t i = 1; i < workers; ++i) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  return all_ok.load() ? kExitOk : kExitFailure;
}

}  // namespace nb
