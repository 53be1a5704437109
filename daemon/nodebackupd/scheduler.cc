#include "nodebackupd/scheduler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>

#include "repo/snapshot.h"
#include "util/clock.h"

namespace nb::daemon {

namespace asio = boost::asio;
using std::chrono::nanoseconds;

Scheduler::Scheduler(asio::io_context& io, store::HashStore& store, repo::Repository& repo,
                     int workers)
    : io_(io),
      store_(store),
      repo_(repo),
      workers_(static_cast<size_t>(workers)),
      max_running_(static_cast<size_t>(workers)) {}

Scheduler::~Scheduler() {
  workers_.join();
}

void Scheduler::apply(const config::Config& config, const LatestRuns& latest_runs) {
  for (auto& [id, slot] : nodes_) {
    if (config.find_node(id) != nullptr) continue;
    slot->removed = true;
    slot->timer.cancel();
    ++slot->timer_generation;
    std::erase(queue_, id);
    slot->queued = false;
    if (!slot->running) cancel_listeners(*slot, "the node was removed from the configuration");
  }
  std::erase_if(nodes_, [](const auto& kv) { return kv.second->removed && !kv.second->running; });
  for (const auto& node : config.nodes) {
    auto it = nodes_.find(node.id);
    if (it == nodes_.end()) {
      auto slot = std::make_unique<NodeSlot>(io_, node);
      slot->watching_since_ns = now_ns();
      // A node this process has not run yet shows its newest snapshot as its last run, so a
      // restart does not make a backed-up node look as if it never ran.
      if (const auto latest = latest_runs.find(node.id); latest != latest_runs.end()) {
        slot->last_run = latest->second;
        slot->last_finished_ns = slot->last_success_ns = latest->second.finished_ns;
      }
      auto& ref = *nodes_.emplace(node.id, std::move(slot)).first->second;
      schedule_from(ref, ref.last_finished_ns);
      continue;
    }
    NodeSlot& slot = *it->second;
    // A node failing permanently is tried again at once when its configuration changed: the
    // change may be the fix (a new known_hosts, key or port).
    const bool fixed = slot.last_run && slot.last_run->permanent && !(slot.config == node);
    const bool reschedule = slot.removed || fixed || slot.config.interval != node.interval ||
                            slot.config.jitter != node.jitter;
    slot.removed = false;
    slot.config = node;  // the next run uses it; a running job keeps the one it started with
    if (reschedule && !slot.running && !slot.queued) {
      schedule_from(slot, fixed ? 0 : slot.last_finished_ns);
    }
  }
}

Result<> Scheduler::run_now(const std::string& id, RunListener listener) {
  const auto it = nodes_.find(id);
  if (it == nodes_.end() || it->second->removed) {
    return fail("run", id, 0, "no such node in the running configuration");
  }
  if (stopping_) return fail("run", id, 0, "the daemon is stopping");
  NodeSlot& slot = *it->second;
  if (listener) slot.listeners.push_back(std::move(listener));
  if (!slot.running && !slot.queued) {
    spdlog::info("{}: run requested", id);
    enqueue(slot);
  }
  return {};
}

void Scheduler::stop(std::function<void()> on_idle) {
  stopping_ = true;
  on_idle_ = std::move(on_idle);
  for (auto& [id, slot] : nodes_) {
    slot->timer.cancel();
    ++slot->timer_generation;
    if (slot->running) slot->stop->store(true);
    if (slot->queued) {
      slot->queued = false;
      cancel_listeners(*slot, "the daemon is stopping");
    }
  }
  queue_.clear();
  if (running_ == 0) asio::post(io_, on_idle_);
}

// Due one interval after the last run or snapshot (at once if that is past), plus jitter so
// that nodes configured alike do not all start in the same second.
void Scheduler::schedule_from(NodeSlot& slot, int64_t last_finished_ns) {
  const int64_t due = last_finished_ns + nanoseconds(slot.config.interval).count();
  arm(slot, nanoseconds(std::max<int64_t>(0, due - now_ns())) + jitter(slot));
}

void Scheduler::arm(NodeSlot& slot, nanoseconds delay) {
  if (stopping_) return;
  const uint64_t generation = ++generation_;
  slot.timer_generation = generation;
  slot.next_run_ns = now_ns() + delay.count();
  slot.timer.expires_after(delay);
  slot.timer.async_wait([this, id = slot.config.id, generation](boost::system::error_code) {
    // A cancelled or re-armed timer may still deliver: only the current arming counts.
    const auto it = nodes_.find(id);
    if (it == nodes_.end() || it->second->timer_generation != generation) return;
    enqueue(*it->second);
  });
}

void Scheduler::enqueue(NodeSlot& slot) {
  if (stopping_ || slot.running || slot.queued) return;
  ++slot.timer_generation;  // a run now replaces the scheduled one
  slot.timer.cancel();
  slot.queued = true;
  slot.next_run_ns = 0;
  queue_.push_back(slot.config.id);
  dispatch();
}

void Scheduler::dispatch() {
  while (!stopping_ && running_ < max_running_ && !queue_.empty()) {
    const std::string id = queue_.front();
    queue_.pop_front();
    start(*nodes_.at(id));
  }
}

void Scheduler::start(NodeSlot& slot) {
  slot.queued = false;
  slot.running = true;
  slot.progress = {};
  slot.stop = std::make_shared<std::atomic<bool>>(false);
  ++running_;
  if (started_hook_) started_hook_(slot);
  auto progress = [this, id = slot.config.id](const backup::Progress& p) {
    asio::post(io_, [this, id, p] {
      const auto it = nodes_.find(id);
      if (it == nodes_.end()) return;
      it->second->progress = p;
      for (auto& listener : it->second->listeners) listener(progress_event(id, p), false);
    });
  };
  asio::post(workers_, [this, node = slot.config, stop = slot.stop, progress] {
    auto outcome = run_backup(
        node, store_, repo_, [stop] { return stop->load(); }, progress);
    asio::post(io_, [this, id = node.id, outcome = std::move(outcome)]() mutable {
      finished(id, std::move(outcome));
    });
  });
}

void Scheduler::finished(const std::string& id, JobOutcome outcome) {
  --running_;
  NodeSlot& slot = *nodes_.at(id);
  slot.running = false;
  slot.stop.reset();
  record(slot, outcome);
  // Said once, not at every run: the transport's limits do not change between runs.
  if (outcome.cannot_capture && *outcome.cannot_capture != slot.cannot_capture) {
    slot.cannot_capture = *outcome.cannot_capture;
    if (!slot.cannot_capture.empty()) {
      spdlog::warn(
          "{}: its transport cannot capture {}; files that have them are copied without "
          "(use \"transport\": \"exec\" or a local node for a faithful copy)",
          id, slot.cannot_capture);
    }
  }
  const RunRecord& run = *slot.last_run;
  const auto event = run_json(run);
  for (auto& listener : slot.listeners) {
    auto final_event = event;
    final_event["event"] = "finished";
    final_event["node"] = id;
    listener(final_event, true);
  }
  slot.listeners.clear();
  if (finished_hook_) finished_hook_(slot, outcome);
  if (slot.removed) {
    spdlog::info("{}: removed from the configuration; its last run has ended", id);
    nodes_.erase(id);
  } else if (run.ok || run.interrupted) {
    schedule_from(slot, run.finished_ns);
  } else if (run.permanent) {
    // Retrying in 30 s would only fail the same way (and hammer a node that refuses us):
    // the next attempt is the regular one, or whatever run or reload the operator asks for.
    spdlog::error(
        "{}: the failure is permanent; next attempt at the regular interval, or "
        "after `nodebackupctl run {}` or a reload that changes the node",
        id, id);
    arm(slot, nanoseconds(slot.config.interval) + jitter(slot));
  } else {
    arm(slot, backoff(slot.consecutive_failures, slot.config.interval) + jitter(slot));
  }
  dispatch();
  if (stopping_ && running_ == 0 && on_idle_) asio::post(io_, on_idle_);
}

void Scheduler::record(NodeSlot& slot, const JobOutcome& outcome) {
  const auto& r = outcome.result;
  RunRecord run;
  run.started_ns = r.started_ns;
  run.finished_ns = r.finished_ns;
  run.ok = r.ok;
  run.interrupted = r.interrupted;
  if (r.error) run.error = r.error->message();
  run.counts = r.counts;
  run.snapshot_id = r.snapshot_id;
  run.permanent = !run.ok && !run.interrupted && r.error && !r.error->transient();
  slot.last_finished_ns = run.finished_ns;
  if (run.ok) {
    ++slot.runs_ok;
    slot.consecutive_failures = 0;
    slot.last_success_ns = run.finished_ns;
    slot.health.after_run(r, outcome.trusted_entries, outcome.untrusted, run.finished_ns);
  } else if (!run.interrupted) {
    ++slot.runs_failed;
    ++slot.consecutive_failures;
  }
  slot.last_run = std::move(run);
}

void Scheduler::cancel_listeners(NodeSlot& slot, const std::string& why) {
  for (auto& listener : slot.listeners) {
    listener({{"ok", false}, {"event", "finished"}, {"node", slot.config.id}, {"error", why}},
             true);
  }
  slot.listeners.clear();
}

nanoseconds Scheduler::jitter(const NodeSlot& slot) {
  const int64_t max = nanoseconds(slot.config.jitter).count();
  if (max <= 0) return nanoseconds(0);
  return nanoseconds(std::uniform_int_distribution<int64_t>(0, max)(rng_));
}

nanoseconds backoff(int failures, std::chrono::seconds interval) {
  const int doublings = std::clamp(failures - 1, 0, 20);
  return std::min<nanoseconds>(std::chrono::seconds(30) * (int64_t{1} << doublings), interval);
}

nlohmann::json progress_event(const std::string& node, const backup::Progress& p) {
  return {{"ok", true},
          {"event", "progress"},
          {"node", node},
          {"files_read", p.files_read},
          {"files_to_read", p.files_to_read},
          {"bytes_read", p.bytes_read}};
}

status::Run run_status(const RunRecord& run) {
  status::Run out{.ok = run.ok,
                  .started = rfc3339(run.started_ns),
                  .finished = rfc3339(run.finished_ns),
                  .result = run.ok ? "ok" : (run.interrupted ? "interrupted" : "failed"),
                  .error = run.error,
                  .failure = std::nullopt,
                  .source = std::nullopt,
                  .snapshot = run.snapshot_id,
                  .counts = run.counts};
  if (!run.ok && !run.interrupted) out.failure = run.permanent ? "permanent" : "transient";
  if (run.from_snapshot) out.source = "snapshot";
  return out;
}

nlohmann::json run_json(const RunRecord& run) {
  return status::to_json(run_status(run));
}

}  // namespace nb::daemon
