#include "nodebackupd/target_sender.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "notify/deliver.h"
#include "util/clock.h"

namespace nb::daemon {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds retry_delay(int attempt) {
  const int doublings = std::clamp(attempt - 1, 0, 6);
  return std::min<std::chrono::milliseconds>(std::chrono::seconds(1) * (1 << doublings),
                                             std::chrono::minutes(1));
}

TargetSender::TargetSender(config::NotifyTarget target) : target_(std::move(target)) {
  stats_.name = target_.name;
  stats_.type = config::to_string(target_.type);
  notify::init_transport();
  thread_ = std::thread([this] { loop(); });
}

TargetSender::~TargetSender() {
  stop(Clock::now());
  join();
}

bool TargetSender::push(notify::Event event, Done done) {
  std::unique_lock lock(mutex_);
  if (stopping_ || queue_.size() >= static_cast<size_t>(target_.queue_limit)) {
    ++stats_.dropped;
    const auto dropped = stats_.dropped;
    const bool stopping = stopping_;
    lock.unlock();
    spdlog::warn("notify {}: {}; dropped {} event{}{} ({} dropped so far)", target_.name,
                 stopping ? "stopping" : "queue full", event.kind,
                 event.node.empty() ? "" : " for ", event.node, dropped);
    if (done) done(fail("notify", target_.name, 0, "queue full, event dropped"));
    return false;
  }
  queue_.push_back({std::move(event), std::move(done)});
  ++stats_.queued;
  lock.unlock();
  wake_.notify_one();
  return true;
}

void TargetSender::stop(Clock::time_point deadline) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) deadline = std::min(deadline, deadline_);
    stopping_ = true;
    deadline_ = deadline;
    if (Clock::now() >= deadline) give_up_ = true;
  }
  wake_.notify_all();
}

void TargetSender::join() {
  if (thread_.joinable()) thread_.join();
}

TargetStats TargetSender::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

bool TargetSender::cancelled() const {
  if (give_up_) return true;
  std::lock_guard lock(mutex_);
  return stopping_ && Clock::now() >= deadline_;
}

void TargetSender::loop() {
  for (;;) {
    Item item;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() || (stopping_ && Clock::now() >= deadline_)) break;
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    const auto result = send_with_retries(item);
    record(item.event, result);
    if (item.done) item.done(result);
  }
  // Whatever is left when the deadline passed is not sent.
  std::deque<Item> left;
  {
    std::lock_guard lock(mutex_);
    left.swap(queue_);
    stats_.dropped += left.size();
    stats_.queued = 0;
  }
  if (!left.empty()) {
    spdlog::warn("notify {}: stopping; {} queued event(s) not sent", target_.name, left.size());
  }
  for (auto& item : left) {
    if (item.done) item.done(fail("notify", target_.name, 0, "the daemon is stopping"));
  }
}

Result<> TargetSender::send_with_retries(const Item& item) {
  const bool once = item.event.kind == notify::kTest;
  const std::function<bool()> cancel = [this] { return cancelled(); };
  for (int attempt = 0;; ++attempt) {
    auto result = notify::deliver(target_, item.event, cancel);
    if (result || !result.error().transient() || once || attempt >= target_.retries) {
      return result;
    }
    spdlog::info("notify {}: attempt {} failed, retrying: {}", target_.name, attempt + 1,
                 result.error().message());
    std::unique_lock lock(mutex_);
    // Shown at once: a target that keeps failing says why before its retries run out.
    stats_.last_error_ns = now_ns();
    stats_.last_error = result.error().message();
    // A stopping daemon sends what it can once; it does not wait to retry.
    const bool stop = wake_.wait_for(lock, retry_delay(attempt + 1), [&] { return stopping_; });
    if (stop) return result;
  }
}

void TargetSender::record(const notify::Event& event, const Result<>& result) {
  std::lock_guard lock(mutex_);
  --stats_.queued;
  if (result) {
    ++stats_.sent;
    stats_.last_success_ns = now_ns();
    return;
  }
  ++stats_.failed;
  stats_.last_error_ns = now_ns();
  stats_.last_error = result.error().message();
  spdlog::warn("notify {}: {} event{}{} not delivered: {}", target_.name, event.kind,
               event.node.empty() ? "" : " for ", event.node, stats_.last_error);
}

}  // namespace nb::daemon
