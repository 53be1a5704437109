// The long-running process (DESIGN §2, §7): its lifecycle (start, signals, reload, stop, the
// watchdog) and the parts it composes: the scheduler, the control socket and its requests
// (control_requests.h), the store keeper and the reporter. The io_context's one thread only decides
// and dispatches; everything that blocks (backups, store snapshots, reading a new config)
// runs on the worker pool or the auxiliary pool and posts its result back. Stopping drains the
// io_context: every timer, signal and socket is closed, and run() returns when nothing is left.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "nodebackupd/alerts.h"
#include "nodebackupd/control_requests.h"
#include "nodebackupd/control_server.h"
#include "nodebackupd/copy_scheduler.h"
#include "nodebackupd/http/dashboard.h"
#include "nodebackupd/notifier.h"
#include "nodebackupd/reporter.h"
#include "nodebackupd/scheduler.h"
#include "nodebackupd/space_watch.h"
#include "nodebackupd/status_report.h"
#include "nodebackupd/store_keeper.h"
#include "repo/repository.h"
#include "store/hash_store.h"
#include "util/file.h"

namespace nb::daemon {

class Daemon final : private DaemonControl {
 public:
  explicit Daemon(config::Config config);
  ~Daemon();

  // Runs until SIGTERM/SIGINT; returns the process exit code.
  int run();

 private:
  Result<> start();
  void watch_signals();
  void on_signal(int signal);
  void finish_reload(Result<config::Config> loaded, LatestRuns latest);
  void begin_stop(const char* why);
  void after_run(const NodeSlot& slot, const JobOutcome& outcome);
  void start_copies();
  // Once the backups and the copies have both ended.
  void after_jobs();
  void maybe_prune();
  void pet_watchdog();
  // Every node's stale alarm, the repository's space, and renotify, at a steady pace.
  void arm_watch();
  void watch();
  void check_stale(NodeSlot& slot);
  void check_space();

  // DaemonControl: what the control requests see.
  const config::Config& config() const override { return config_; }
  DaemonFacts facts() const override;
  Scheduler& scheduler() override { return *scheduler_; }
  void reload(std::function<void(Result<>)> done) override;
  void diff(const config::NodeConfig& node,
            std::function<void(const backup::JobResult&)> done) override;
  void notify_test(const std::optional<std::string>& target,
                   std::function<void(nlohmann::json)> done) override;

  config::Config config_;
  int64_t started_ns_;
  boost::asio::io_context io_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer watchdog_timer_;
  boost::asio::steady_timer stop_deadline_;
  boost::asio::thread_pool aux_{2};  // config reads and diffs
  // Store snapshots and the metrics file, one at a time and in order.
  boost::asio::strand<boost::asio::thread_pool::executor_type> chores_{aux_.get_executor()};
  UniqueFd state_lock_;
  store::HashStore store_;
  StoreKeeper keeper_;
  std::unique_ptr<repo::Repository> repo_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<CopyScheduler> copies_;
  ControlRequests requests_{*this};
  std::unique_ptr<ControlServer> server_;
  std::unique_ptr<http::Dashboard> dashboard_;  // with "http" configured
  Notifier notifier_;
  Reporter reporter_;
  Alerts alerts_{io_};
  boost::asio::steady_timer watch_timer_{io_};
  SpaceWatch space_;
  std::map<std::string, Alarm> repository_alarms_;
  int64_t last_space_check_ns_ = 0;
  bool space_checking_ = false;
  std::optional<std::chrono::microseconds> watchdog_period_;
  std::optional<std::string> last_node_;
  std::vector<std::function<void(Result<>)>> reload_waiters_;
  bool reloading_ = false;
  bool stopping_ = false;
  bool pruning_ = false;
  int running_schedulers_ = 0;  // while stopping: the schedulers not yet idle
  int64_t last_prune_ns_ = 0;   // 0: not since start, so the first backup is followed by one
};

// Newest complete snapshot's finish time per node, so a restarted daemon knows which nodes
// are overdue.
LatestRuns latest_snapshots(const repo::Repository& repo);

}  // namespace nb::daemon
