// When the scheduled copies run (the config's "copy"): each one interval after its last (as
// copies.json remembers it across restarts), retried with the nodes' backoff after a failure,
// one at a time on a thread of their own so that a long copy holds up neither the event loop
// nor a backup. A copy holds the repository lock shared, as a backup does: a prune waits for
// it. All state lives on the event loop, as the Scheduler's does.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "config/config.h"
#include "nodebackupd/copy_slot.h"
#include "repo/repository.h"

namespace nb::daemon {

class CopyScheduler {
 public:
  // `saver` writes copies.json, in order (the daemon's chores strand).
  CopyScheduler(boost::asio::io_context& io, boost::asio::any_io_executor saver,
                repo::Repository& repo, std::string state_dir);
  ~CopyScheduler();

  // Reads copies.json (a small file; at start, before apply). Logs what it could not use.
  void load();

  // Brings the copies in line with `config`: new ones are scheduled from their history,
  // removed ones go once their running copy ends, a changed interval re-arms. Targets are
  // opened with this config's "s3" and passphrase settings.
  void apply(const config::Config& config);

  // No more copies start; a running one stops at its next blob and commits what it copied;
  // `on_idle` is called on the event loop once none is running.
  void stop(std::function<void()> on_idle);

  // Called on the event loop after every copy that was not interrupted, once its slot's
  // history holds it.
  void on_finished(std::function<void(const CopySlot&)> hook) { finished_hook_ = std::move(hook); }

  const std::map<std::string, std::unique_ptr<CopySlot>>& copies() const { return slots_; }
  size_t running() const { return running_ ? 1 : 0; }

 private:
  void schedule(CopySlot& slot);
  void arm(CopySlot& slot, int64_t due_ns);  // wall clock
  void enqueue(CopySlot& slot);
  void dispatch();
  void start(CopySlot& slot);
  void finished(const std::string& name, CopyRun run);
  void save();

  boost::asio::io_context& io_;
  boost::asio::any_io_executor saver_;
  repo::Repository& repo_;
  std::string state_dir_;
  config::Config target_config_;  // the "s3" and passphrase settings targets are opened with
  boost::asio::thread_pool worker_{1};
  std::map<std::string, std::unique_ptr<CopySlot>> slots_;  // by CopyTarget::name()
  CopyHistories loaded_;                                    // from copies.json, by name
  std::deque<std::string> queue_;                           // first due, first run
  bool running_ = false;
  uint64_t generation_ = 0;
  bool stopping_ = false;
  std::function<void()> on_idle_;
  std::function<void(const CopySlot&)> finished_hook_;
};

// The copy itself, on the calling thread: open the target (created plain if missing) and copy
// what it lacks from `from`. Never throws; the run's error says what failed.
CopyRun run_copy(const config::Config& config, const config::CopyTarget& copy,
                 repo::Repository& from, std::function<bool()> stop_requested);

}  // namespace nb::daemon
