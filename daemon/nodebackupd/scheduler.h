// When each node runs: a timer per node at its interval plus random jitter, a fair queue for
// runs that come due while every worker is busy, backoff after failures, and runs requested
// by an operator. Jobs run on a pool of worker threads and post their outcome back to the
// event loop, which owns all of this state: nothing here is locked.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "common/status_schema.h"
#include "config/config.h"
#include "nodebackupd/job_runner.h"
#include "nodebackupd/node_slot.h"
#include "repo/repository.h"
#include "store/hash_store.h"
#include "util/error.h"

namespace nb::daemon {

class Scheduler {
 public:
  Scheduler(boost::asio::io_context& io, store::HashStore& store, repo::Repository& repo,
            int workers);
  ~Scheduler();

  // Brings the nodes in line with `config`: new nodes are scheduled (soon, when their newest
  // snapshot — `latest_ns`, finish time by node id — is older than their interval), removed
  // ones go once their running job ends, changed schedules re-arm.
  void apply(const config::Config& config, const LatestRuns& latest);

  // Queues a run now, unless one is queued or running already; `listener` (may be empty) is
  // told about that run either way. Fails for an unknown node.
  Result<> run_now(const std::string& id, RunListener listener);

  // No more runs start; running jobs are asked to stop at their next checkpoint; `on_idle`
  // is called on the event loop once none is running.
  void stop(std::function<void()> on_idle);

  // Called on the event loop as each run starts.
  void on_started(std::function<void(const NodeSlot&)> hook) { started_hook_ = std::move(hook); }

  // Called on the event loop after every run, once the node's record is updated.
  void on_finished(std::function<void(const NodeSlot&, const JobOutcome&)> hook) {
    finished_hook_ = std::move(hook);
  }

  const std::map<std::string, std::unique_ptr<NodeSlot>>& nodes() const { return nodes_; }
  size_t running() const { return running_; }

 private:
  void schedule_from(NodeSlot& slot, int64_t last_finished_ns);
  void arm(NodeSlot& slot, std::chrono::nanoseconds delay);
  void enqueue(NodeSlot& slot);
  void dispatch();
  void start(NodeSlot& slot);
  void finished(const std::string& id, JobOutcome outcome);
  void record(NodeSlot& slot, const JobOutcome& outcome);
  void cancel_listeners(NodeSlot& slot, const std::string& why);
  std::chrono::nanoseconds jitter(const NodeSlot& slot);

  boost::asio::io_context& io_;
  store::HashStore& store_;
  repo::Repository& repo_;
  boost::asio::thread_pool workers_;
  size_t max_running_;
  std::map<std::string, std::unique_ptr<NodeSlot>> nodes_;
  std::deque<std::string> queue_;  // first come, first served
  size_t running_ = 0;
  uint64_t generation_ = 0;
  bool stopping_ = false;
  std::function<void()> on_idle_;
  std::function<void(const NodeSlot&, const JobOutcome&)> finished_hook_;
  std::function<void(const NodeSlot&)> started_hook_;
  std::mt19937_64 rng_{std::random_device{}()};
};

// The delay before retrying after `failures` failed runs in a row: doubling from 30 s,
// never longer than the node's interval.
std::chrono::nanoseconds backoff(int failures, std::chrono::seconds interval);

// The events a waiting client receives.
nlohmann::json progress_event(const std::string& node, const backup::Progress& progress);
// A run as the status schema has it, and as JSON (the "finished" event, last_run).
status::Run run_status(const RunRecord& run);
nlohmann::json run_json(const RunRecord& run);

}  // namespace nb::daemon
