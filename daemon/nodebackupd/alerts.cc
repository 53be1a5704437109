#include "nodebackupd/alerts.h"

#include <unistd.h>

#include <algorithm>

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "notify/match.h"
#include "util/clock.h"

namespace nb::daemon {

namespace asio = boost::asio;
using config::Severity;

namespace {

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "localhost";
  return name;
}

// The alarms a daemon cannot heal by itself in the next run are errors; the diff-detection
// alarms are warnings (backups still happen, just not cheaply).
Severity alarm_severity(const std::string& kind) {
  return kind == kStale || kind == kRepositorySpace ? Severity::error : Severity::warning;
}

std::vector<std::pair<std::string, uint64_t>> counts_of(const repo::RunCounts& c) {
  return {{"scanned", c.scanned},          {"unchanged", c.unchanged}, {"touched", c.touched},
          {"changed", c.changed},          {"new", c.added},           {"deleted", c.deleted},
          {"skipped", c.skipped},          {"errors", c.errors},       {"bytes_read", c.bytes_read},
          {"bytes_stored", c.bytes_stored}};
}

std::string alarm_key(const std::string& node, const std::string& kind) {
  return node + "/" + kind;
}

// Copy names hold slashes ("/mnt/offsite"); the prefix keeps them apart from node keys.
constexpr std::string_view kCopyKeyPrefix = "copy ";

std::string copy_key(const std::string& name) {
  return std::string(kCopyKeyPrefix) + name;
}

bool copy_configured(const config::Config& config, const std::string& name) {
  return std::any_of(config.copies.begin(), config.copies.end(),
                     [&](const config::CopyTarget& copy) { return copy.name() == name; });
}

std::vector<std::pair<std::string, uint64_t>> copy_counts(const repo::CopyReport& r) {
  return {{"snapshots_copied", r.snapshots_copied},
          {"snapshots_present", r.snapshots_present},
          {"blobs_copied", r.blobs_copied},
          {"bytes_copied", r.bytes_copied}};
}

}  // namespace

Alerts::Alerts(asio::io_context& io) : io_(io), host_(host_name()) {}

Alerts::~Alerts() {
  if (!stopped_) stop(std::chrono::steady_clock::now());
  for (auto& sender : senders_) sender->join();
  for (auto& sender : retired_) sender->join();
}

void Alerts::apply(const config::Config& config) {
  std::vector<std::unique_ptr<TargetSender>> kept;
  for (const auto& target : config.notify) {
    auto same = std::find_if(senders_.begin(), senders_.end(), [&](const auto& sender) {
      return sender && sender->target() == target;
    });
    if (same != senders_.end()) {
      kept.push_back(std::move(*same));
    } else {
      kept.push_back(std::make_unique<TargetSender>(target));
    }
  }
  for (auto& old : senders_) {
    if (!old) continue;
    old->stop(std::chrono::steady_clock::now() + std::chrono::seconds(10));
    retired_.push_back(std::move(old));
  }
  senders_ = std::move(kept);
  failures_before_notify_.clear();
  for (const auto& node : config.nodes)
    failures_before_notify_[node.id] = node.failures_before_notify;
  std::erase_if(known_, [&](const auto& kv) {
    return !kv.first.empty() && config.find_node(kv.first) == nullptr;
  });
  std::erase_if(failure_sent_,
                [&](const auto& kv) { return config.find_node(kv.first) == nullptr; });
  std::erase_if(copy_failure_sent_,
                [&](const auto& kv) { return !copy_configured(config, kv.first); });
  std::erase_if(standing_, [&](const auto& kv) {
    const auto& event = kv.second.event;
    if (!event.copy_to.empty())
      return !copy_configured(config, kv.first.substr(kCopyKeyPrefix.size()));
    return !event.node.empty() && config.find_node(event.node) == nullptr;
  });
}

notify::Event Alerts::make_event(const std::string& kind, Severity severity,
                                 const std::string& node) const {
  notify::Event event;
  event.kind = kind;
  event.severity = severity;
  event.node = node;
  event.time_ns = now_ns();
  event.host = host_;
  return event;
}

void Alerts::emit(const notify::Event& event, const std::string& standing_key) {
  Standing* standing = nullptr;
  if (!standing_key.empty()) {
    standing = &standing_[standing_key];
    standing->event = event;
    standing->sent_ns.clear();
  }
  for (auto& sender : senders_) {
    if (!notify::matches(sender->target(), event)) continue;
    sender->push(event);
    if (standing) standing->sent_ns[sender->target().name] = event.time_ns;
  }
}

void Alerts::clear(const std::string& standing_key) {
  standing_.erase(standing_key);
}

void Alerts::run_started(const NodeSlot& slot) {
  auto event = make_event(notify::kRunStarted, Severity::info, slot.config.id);
  event.summary = slot.config.id + ": backup started";
  emit(event);
}

void Alerts::run_finished(const NodeSlot& slot, const std::vector<std::string>& hook_failures) {
  const std::string& node = slot.config.id;
  if (!slot.last_run) return;
  const RunRecord& run = *slot.last_run;
  for (const auto& failure : hook_failures) {
    auto event = make_event(notify::kHookFailed, Severity::warning, node);
    event.summary = node + ": " + failure;
    event.error = failure;
    emit(event);
  }
  if (!run.interrupted) {
    auto event =
        make_event(notify::kRunFinished, run.ok ? Severity::info : Severity::warning, node);
    event.ok = run.ok;
    event.error = run.error;
    event.counts = counts_of(run.counts);
    event.consecutive_failures = slot.consecutive_failures;
    event.summary = node + (run.ok ? ": backup ok" : ": backup failed") +
                    (run.error ? ": " + *run.error : std::string());
    emit(event);
  }
  const auto limit = failures_before_notify_.contains(node) ? failures_before_notify_[node]
                                                            : slot.config.failures_before_notify;
  bool& sent = failure_sent_[node];
  if (!run.ok && !run.interrupted && slot.consecutive_failures >= limit && !sent) {
    auto event = make_event(notify::kRunFailed, Severity::error, node);
    event.error = run.error;
    event.consecutive_failures = slot.consecutive_failures;
    event.summary = node + ": " + std::to_string(slot.consecutive_failures) +
                    (slot.consecutive_failures == 1 ? " run" : " runs in a row") + " failed" +
                    (run.error ? ": " + *run.error : std::string());
    sent = true;
    emit(event, alarm_key(node, notify::kRunFailed));
  } else if (run.ok && sent) {
    auto event = make_event(notify::kRunRecovered, Severity::info, node);
    event.counts = counts_of(run.counts);
    event.summary = node + ": backup ok again";
    sent = false;
    clear(alarm_key(node, notify::kRunFailed));
    emit(event);
  }
  check_alarms(slot);
}

notify::Event Alerts::copy_failed_event(const CopySlot& slot) const {
  const auto& h = slot.history;
  auto event = make_event(notify::kCopyFailed, Severity::error, slot.copy.node);
  event.copy_to = slot.copy.to;
  if (h.last_run) event.error = h.last_run->error;
  event.consecutive_failures = h.consecutive_failures;
  event.summary = "copy to " + slot.copy.name() + " failed" +
                  (event.error ? ": " + *event.error : std::string());
  return event;
}

void Alerts::copy_finished(const CopySlot& slot) {
  const auto& h = slot.history;
  if (!h.last_run) return;
  const std::string& name = slot.copy.name();
  bool& sent = copy_failure_sent_[name];
  if (!h.last_run->ok && !sent) {
    sent = true;
    emit(copy_failed_event(slot), copy_key(name));
  } else if (h.last_run->ok && sent) {
    auto event = make_event(notify::kCopyRecovered, Severity::info, slot.copy.node);
    event.copy_to = slot.copy.to;
    event.counts = copy_counts(h.last_run->report);
    event.summary = "copy to " + name + " ok again: " + repo::copy_summary(h.last_run->report);
    sent = false;
    clear(copy_key(name));
    emit(event);
  }
}

void Alerts::copy_failing(const CopySlot& slot) {
  const std::string& name = slot.copy.name();
  if (slot.history.consecutive_failures == 0 || copy_failure_sent_[name]) return;
  copy_failure_sent_[name] = true;
  auto& standing = standing_[copy_key(name)];
  standing.event = copy_failed_event(slot);
  standing.sent_ns.clear();
  // Taken as sent now: renotify resends it one interval after the restart.
  for (auto& sender : senders_) {
    if (notify::matches(sender->target(), standing.event)) {
      standing.sent_ns[sender->target().name] = standing.event.time_ns;
    }
  }
}

void Alerts::check_alarms(const NodeSlot& slot) {
  diff_alarms(slot.config.id, slot.health.alarms());
}

void Alerts::check_repository_alarms(const std::map<std::string, Alarm>& alarms) {
  diff_alarms("", alarms);
}

void Alerts::diff_alarms(const std::string& node, const std::map<std::string, Alarm>& now) {
  auto& known = known_[node];
  for (const auto& [kind, alarm] : now) {
    if (known.contains(kind)) continue;
    // The other alarms are logged after every run (reporter.h); these arise between runs.
    if (kind == kStale || kind == kRepositorySpace) {
      spdlog::warn("{}", NodeHealth::describe(node.empty() ? "repository" : node, alarm));
    }
    auto event = make_event(notify::kAlarmRaised, alarm_severity(kind), node);
    event.alarm = kind;
    event.summary = NodeHealth::describe(node.empty() ? "repository" : node, alarm);
    event.examples = alarm.examples;
    event.counts = {{"count", alarm.count}};
    emit(event, alarm_key(node, kind));
  }
  for (const auto& [kind, alarm] : known) {
    if (now.contains(kind)) continue;
    spdlog::info("{}: alarm {} cleared", node.empty() ? "repository" : node, kind);
    auto event = make_event(notify::kAlarmCleared, Severity::info, node);
    event.alarm = kind;
    event.summary =
        (node.empty() ? std::string("repository") : node) + ": alarm " + kind + " cleared";
    clear(alarm_key(node, kind));
    emit(event);
  }
  known = now;
}

void Alerts::renotify() {
  const int64_t now = now_ns();
  for (auto& [key, standing] : standing_) {
    for (auto& sender : senders_) {
      const auto& target = sender->target();
      if (target.renotify.count() == 0 || !notify::matches(target, standing.event)) continue;
      const auto last = standing.sent_ns.find(target.name);
      const int64_t since = last == standing.sent_ns.end() ? standing.event.time_ns : last->second;
      if (now - since < std::chrono::nanoseconds(target.renotify).count()) continue;
      auto event = standing.event;
      event.repeat = true;
      event.time_ns = now;
      sender->push(std::move(event));
      standing.sent_ns[target.name] = now;
    }
  }
}

void Alerts::test(const std::optional<std::string>& name,
                  std::function<void(nlohmann::json reply)> done) {
  std::vector<TargetSender*> chosen;
  for (auto& sender : senders_) {
    if (!name || sender->target().name == *name) chosen.push_back(sender.get());
  }
  if (chosen.empty()) {
    done({{"ok", false},
          {"error", name ? "no notification target \"" + *name + "\" in the running configuration"
                         : std::string("no notification targets are configured")}});
    return;
  }
  // Filled on the event loop as outcomes arrive; the last one answers.
  struct Pending {
    nlohmann::json results = nlohmann::json::array();
    size_t left = 0;
    bool all_ok = true;
    std::function<void(nlohmann::json)> done;
  };
  auto pending = std::make_shared<Pending>();
  pending->left = chosen.size();
  pending->done = std::move(done);
  for (auto* sender : chosen) {
    const auto& target = sender->target();
    auto event = make_event(notify::kTest, Severity::info, "");
    // A ping target's URL usually names a node: the test goes to the first it would serve.
    if (target.type == config::NotifyType::ping) {
      for (const auto& [node, limit] : failures_before_notify_) {
        if (target.match.nodes.empty() ||
            std::find(target.match.nodes.begin(), target.match.nodes.end(), node) !=
                target.match.nodes.end()) {
          event.node = node;
          break;
        }
      }
    }
    event.summary = "nodebackup test notification to " + target.name + " from " + host_;
    sender->push(std::move(event), [this, pending, name = target.name](const Result<>& r) {
      asio::post(io_, [pending, name, ok = r.has_value(),
                       error = r ? std::string() : r.error().message()] {
        nlohmann::json result = {{"name", name}, {"ok", ok}};
        if (!ok) result["error"] = error;
        pending->results.push_back(std::move(result));
        pending->all_ok = pending->all_ok && ok;
        if (--pending->left > 0) return;
        pending->done({{"ok", true}, {"all_ok", pending->all_ok}, {"targets", pending->results}});
      });
    });
  }
}

std::vector<TargetStats> Alerts::stats() const {
  std::vector<TargetStats> out;
  for (const auto& sender : senders_) out.push_back(sender->stats());
  return out;
}

void Alerts::stop(std::chrono::steady_clock::time_point deadline) {
  stopped_ = true;
  for (auto& sender : senders_) sender->stop(deadline);
  for (auto& sender : retired_) sender->stop(deadline);
}

}  // namespace nb::daemon
