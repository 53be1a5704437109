// One notification target's delivery: its own bounded queue and its own sender thread, so a
// target that hangs or refuses delays no backup (the event loop only enqueues) and no other
// target (each waits on its own thread). Failed attempts are retried with a doubling backoff
// a bounded number of times; a full queue drops the new event, counts it and logs it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "config/config.h"
#include "notify/event.h"
#include "util/error.h"

namespace nb::daemon {

struct TargetStats {
  std::string name;
  std::string type;
  int64_t last_success_ns = 0;
  int64_t last_error_ns = 0;
  std::string last_error;
  size_t queued = 0;  // waiting, and the one being sent
  uint64_t sent = 0, failed = 0, dropped = 0;
};

class TargetSender {
 public:
  // Told the outcome of one event, on the sender thread.
  using Done = std::function<void(const Result<>&)>;

  explicit TargetSender(config::NotifyTarget target);
  // Stops (as stop() with no time left) and joins the thread.
  ~TargetSender();
  TargetSender(const TargetSender&) = delete;
  TargetSender& operator=(const TargetSender&) = delete;

  // Queues the event; false (dropped, counted, logged) when the queue is full or stopping.
  // A test event is tried once: the operator who asked wants the outcome, not a retry plan.
  bool push(notify::Event event, Done done = {});
  // No more events are taken; what is queued is sent without retries until `deadline`, then
  // the attempt in flight is cancelled. Does not block.
  void stop(std::chrono::steady_clock::time_point deadline);
  void join();

  TargetStats stats() const;
  const config::NotifyTarget& target() const { return target_; }

 private:
  struct Item {
    notify::Event event;
    Done done;
  };
  void loop();
  Result<> send_with_retries(const Item& item);
  bool cancelled() const;
  void record(const notify::Event& event, const Result<>& result);

  const config::NotifyTarget target_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point deadline_;
  std::atomic<bool> give_up_{false};  // set once the stop deadline has passed
  TargetStats stats_;
  std::thread thread_;
};

// The delay before retry `attempt` (1, 2, …): 1 s doubling, at most a minute.
std::chrono::milliseconds retry_delay(int attempt);

}  // namespace nb::daemon
