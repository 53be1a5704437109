// Turns what happens to the nodes into events for the operator (DESIGN §9 "Being told") and
// hands each to the targets whose matcher takes it: a run failed (after the node's
// failures_before_notify runs in a row) or recovered, an alarm raised or cleared, a hook
// failed, a scheduled copy failed or recovered; and every run's start and end for ping targets.
// Lives on the event loop, which it never blocks: delivery is the TargetSenders' (one thread per
// target). A standing alarm or failure is not sent again until it clears or the target's renotify
// interval has passed.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "config/config.h"
#include "nodebackupd/copy_slot.h"
#include "nodebackupd/health.h"
#include "nodebackupd/node_slot.h"
#include "nodebackupd/target_sender.h"
#include "notify/event.h"

namespace nb::daemon {

class Alerts {
 public:
  explicit Alerts(boost::asio::io_context& io);
  ~Alerts();

  // (Re)creates the senders of targets that are new or changed; removed ones finish in the
  // background. Forgets what it knew about nodes that are gone.
  void apply(const config::Config& config);

  void run_started(const NodeSlot& slot);
  // After the slot's record holds the finished run: run_finished, run_failed or
  // run_recovered, hook failures, then the node's alarms.
  void run_finished(const NodeSlot& slot, const std::vector<std::string>& hook_failures);
  // After a scheduled copy ended (not interrupted), its history updated: copy_failed at the
  // first failure in a row (standing, so renotified like run_failed), copy_recovered at the
  // first success after it.
  void copy_finished(const CopySlot& slot);
  // At start, for a copy whose history says it was failing: its failure was reported before
  // the restart, so it is standing again (renotified, not sent anew) and a success recovers it.
  void copy_failing(const CopySlot& slot);
  // The node's alarms as they stand now, against what was last seen: raised and cleared.
  void check_alarms(const NodeSlot& slot);
  // The repository's own alarms (repository_space), the same way.
  void check_repository_alarms(const std::map<std::string, Alarm>& alarms);
  // Sends standing alarms and failures again to targets whose renotify interval has passed.
  void renotify();

  // Sends a test event to one target (or all) and calls `done` on the event loop with the
  // reply for the control socket, once every one has an outcome.
  void test(const std::optional<std::string>& target,
            std::function<void(nlohmann::json reply)> done);

  std::vector<TargetStats> stats() const;
  // Queued events get until `deadline`; nothing new is taken. Does not block.
  void stop(std::chrono::steady_clock::time_point deadline);

 private:
  struct Standing {
    notify::Event event;
    std::map<std::string, int64_t> sent_ns;  // target name → when it was last sent
  };

  notify::Event make_event(const std::string& kind, config::Severity severity,
                           const std::string& node) const;
  // Sends to every matching target; with a non-empty `standing_key`, remembers the event as
  // standing (for renotify) until clear() is called for the key.
  void emit(const notify::Event& event, const std::string& standing_key = {});
  void clear(const std::string& standing_key);
  void diff_alarms(const std::string& node, const std::map<std::string, Alarm>& now);
  notify::Event copy_failed_event(const CopySlot& slot) const;

  boost::asio::io_context& io_;
  std::string host_;
  std::vector<std::unique_ptr<TargetSender>> senders_;         // in the config's order
  std::vector<std::unique_ptr<TargetSender>> retired_;         // removed by a reload, finishing
  std::map<std::string, int> failures_before_notify_;          // node → from its config
  std::map<std::string, std::map<std::string, Alarm>> known_;  // node ("" repository) → alarms
  std::map<std::string, bool> failure_sent_;                   // node → run_failed was sent
  std::map<std::string, bool> copy_failure_sent_;  // CopyTarget::name() → copy_failed was sent
  std::map<std::string, Standing> standing_;
  bool stopped_ = false;
};

}  // namespace nb::daemon
