#include "nodebackupd/copy_scheduler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>

#include "common/repository_config.h"
#include "nodebackupd/scheduler.h"
#include "util/clock.h"

namespace nb::daemon {

namespace asio = boost::asio;
using std::chrono::nanoseconds;

CopyRun run_copy(const config::Config& config, const config::CopyTarget& copy,
                 repo::Repository& from, std::function<bool()> stop_requested) {
  CopyRun run;
  run.started_ns = now_ns();
  // The worker boundary, as for a backup: nothing that escapes a copy may end the daemon.
  try {
    auto to = open_copy_target(config, copy.to);
    if (!to) {
      run.error = to.error().message();
    } else {
      repo::CopyOptions options;
      options.node = copy.node;
      options.stop_requested = std::move(stop_requested);
      auto report = repo::copy_snapshots(from, **to, options);
      if (report) {
        run.report = *report;
        run.ok = !report->interrupted;
        run.interrupted = report->interrupted;
      } else {
        run.error = report.error().message();
      }
    }
  } catch (const std::exception& e) {
    run.error = std::string("internal error: ") + e.what();
  }
  run.finished_ns = now_ns();
  if (run.ok || run.interrupted) {
    spdlog::info("{}, to {}", repo::copy_summary(run.report), copy.name());
  } else {
    spdlog::error("copy to {} failed: {}", copy.name(), *run.error);
  }
  return run;
}

CopyScheduler::CopyScheduler(asio::io_context& io, asio::any_io_executor saver,
                             repo::Repository& repo, std::string state_dir)
    : io_(io), saver_(std::move(saver)), repo_(repo), state_dir_(std::move(state_dir)) {}

CopyScheduler::~CopyScheduler() {
  worker_.join();
}

void CopyScheduler::load() {
  auto loaded = load_copy_state(state_dir_);
  if (!loaded) {
    spdlog::warn("{}; every copy is taken as never run", loaded.error().message());
    return;
  }
  loaded_ = std::move(*loaded);
}

void CopyScheduler::apply(const config::Config& config) {
  target_config_ = config;
  target_config_.nodes.clear();
  const auto configured = [&](const std::string& name) {
    return std::any_of(config.copies.begin(), config.copies.end(),
                       [&](const config::CopyTarget& c) { return c.name() == name; });
  };
  for (auto& [name, slot] : slots_) {
    if (configured(name)) continue;
    slot->removed = true;
    slot->timer.cancel();
    ++slot->timer_generation;
    std::erase(queue_, name);
    slot->queued = false;
  }
  std::erase_if(slots_, [](const auto& kv) { return kv.second->removed && !kv.second->running; });
  for (const auto& copy : config.copies) {
    const std::string name = copy.name();
    auto it = slots_.find(name);
    if (it == slots_.end()) {
      auto slot = std::make_unique<CopySlot>(io_, copy);
      if (const auto h = loaded_.find(name); h != loaded_.end()) {
        slot->history = h->second;
        loaded_.erase(h);  // one removed and added again later starts afresh
      }
      auto& ref = *slots_.emplace(name, std::move(slot)).first->second;
      schedule(ref);
      continue;
    }
    CopySlot& slot = *it->second;
    const bool reschedule = slot.removed || slot.copy.interval != copy.interval;
    slot.removed = false;
    slot.copy = copy;
    if (reschedule && !slot.running && !slot.queued) schedule(slot);
  }
}

void CopyScheduler::stop(std::function<void()> on_idle) {
  stopping_ = true;
  on_idle_ = std::move(on_idle);
  for (auto& [name, slot] : slots_) {
    slot->timer.cancel();
    ++slot->timer_generation;
    slot->queued = false;
    if (slot->running) slot->stop->store(true);
  }
  queue_.clear();
  if (!running_) asio::post(io_, on_idle_);
}

// One interval after the last copy ended (at once if that is past, or if there was none), or
// the backoff after a failure.
void CopyScheduler::schedule(CopySlot& slot) {
  const auto& h = slot.history;
  if (!h.last_run) {
    arm(slot, 0);
    return;
  }
  const nanoseconds wait = h.consecutive_failures > 0
                               ? backoff(h.consecutive_failures, slot.copy.interval)
                               : nanoseconds(slot.copy.interval);
  arm(slot, h.last_run->finished_ns + wait.count());
}

void CopyScheduler::arm(CopySlot& slot, int64_t due_ns) {
  if (stopping_) return;
  const uint64_t generation = ++generation_;
  const int64_t now = now_ns();
  slot.timer_generation = generation;
  slot.next_run_ns = std::max(now, due_ns);
  slot.timer.expires_after(nanoseconds(std::max<int64_t>(0, due_ns - now)));
  slot.timer.async_wait([this, name = slot.copy.name(), generation](boost::system::error_code) {
    // A cancelled or re-armed timer may still deliver: only the current arming counts.
    const auto it = slots_.find(name);
    if (it == slots_.end() || it->second->timer_generation != generation) return;
    enqueue(*it->second);
  });
}

void CopyScheduler::enqueue(CopySlot& slot) {
  if (stopping_ || slot.running || slot.queued) return;
  ++slot.timer_generation;
  slot.timer.cancel();
  slot.queued = true;
  slot.next_run_ns = 0;
  queue_.push_back(slot.copy.name());
  dispatch();
}

void CopyScheduler::dispatch() {
  if (stopping_ || running_ || queue_.empty()) return;
  const std::string name = queue_.front();
  queue_.pop_front();
  start(*slots_.at(name));
}

void CopyScheduler::start(CopySlot& slot) {
  slot.queued = false;
  slot.running = true;
  slot.stop = std::make_shared<std::atomic<bool>>(false);
  running_ = true;
  spdlog::info("copy to {}: started", slot.copy.name());
  asio::post(worker_, [this, copy = slot.copy, config = target_config_, stop = slot.stop] {
    auto run = run_copy(config, copy, repo_, [stop] { return stop->load(); });
    asio::post(io_, [this, name = copy.name(), run = std::move(run)]() mutable {
      finished(name, std::move(run));
    });
  });
}

void CopyScheduler::finished(const std::string& name, CopyRun run) {
  running_ = false;
  CopySlot& slot = *slots_.at(name);
  slot.running = false;
  slot.stop.reset();
  if (!run.interrupted) {
    auto& h = slot.history;
    if (run.ok) {
      h.consecutive_failures = 0;
      h.last_success_ns = run.finished_ns;
    } else {
      ++h.consecutive_failures;
    }
    h.last_run = std::move(run);
    save();
    if (finished_hook_) finished_hook_(slot);
  }
  if (slot.removed) {
    spdlog::info("copy to {}: removed from the configuration; its last copy has ended", name);
    slots_.erase(name);
  } else {
    schedule(slot);
  }
  dispatch();
  if (stopping_ && !running_ && on_idle_) asio::post(io_, on_idle_);
}

// Serialised here, written on the saver: the event loop never waits for an fsync.
void CopyScheduler::save() {
  std::vector<std::pair<config::CopyTarget, CopyHistory>> copies;
  for (const auto& [name, slot] : slots_) {
    if (!slot->removed) copies.emplace_back(slot->copy, slot->history);
  }
  asio::post(saver_, [dir = state_dir_, text = copy_state_text(copies)] {
    if (auto r = save_copy_state(dir, text); !r) {
      spdlog::error("copy state: {}", r.error().message());
    }
  });
}

}  // namespace nb::daemon
