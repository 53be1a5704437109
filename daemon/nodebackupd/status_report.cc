#include "nodebackupd/status_report.h"

#include <unistd.h>

#include <fmt/format.h>

#include "util/clock.h"

namespace nb::daemon {

namespace {

std::optional<std::string> time_or_none(int64_t ns) {
  return ns > 0 ? std::optional(rfc3339(ns)) : std::nullopt;
}

status::Node node_status(const NodeSlot& slot) {
  status::Node n{.id = slot.config.id,
                 .type = slot.config.type == config::NodeType::ssh ? "ssh" : "local",
                 .state = slot.state(),
                 .next_run = time_or_none(slot.next_run_ns),
                 .last_success = time_or_none(slot.last_success_ns),
                 .interval_s = slot.config.interval.count(),
                 .consecutive_failures = slot.consecutive_failures,
                 .runs_ok = slot.runs_ok,
                 .runs_failed = slot.runs_failed,
                 .alarms = {},
                 .last_run = std::nullopt,
                 .progress = std::nullopt,
                 .cannot_capture = std::nullopt};
  if (!slot.cannot_capture.empty()) n.cannot_capture = slot.cannot_capture;
  for (const auto& [kind, alarm] : slot.health.alarms()) {
    n.alarms.push_back({kind, alarm.count, alarm.examples, rfc3339(alarm.since_ns)});
  }
  if (slot.last_run) n.last_run = run_status(*slot.last_run);
  if (slot.running) {
    n.progress = status::Progress{slot.progress.files_read, slot.progress.files_to_read,
                                  slot.progress.bytes_read};
  }
  return n;
}

status::Copy copy_status(const CopyFacts& c) {
  status::Copy out{.to = c.copy.to,
                   .node = c.copy.node.empty() ? std::nullopt : std::optional(c.copy.node),
                   .state = c.state,
                   .interval_s = c.copy.interval.count(),
                   .next_run = time_or_none(c.next_run_ns),
                   .last_success = time_or_none(c.history.last_success_ns),
                   .consecutive_failures = c.history.consecutive_failures,
                   .last_run = std::nullopt};
  if (const auto& run = c.history.last_run) {
    out.last_run = status::CopyRun{.ok = run->ok,
                                   .started = rfc3339(run->started_ns),
                                   .finished = rfc3339(run->finished_ns),
                                   .result = run->ok ? "ok" : "failed",
                                   .error = run->error,
                                   .snapshots_copied = run->report.snapshots_copied,
                                   .snapshots_present = run->report.snapshots_present,
                                   .blobs_copied = run->report.blobs_copied,
                                   .bytes_copied = run->report.bytes_copied};
  }
  return out;
}

// One metric family: HELP and TYPE, then a sample per node.
class Family {
 public:
  Family(std::string& out, const char* name, const char* type, const char* help)
      : out_(out), name_(name) {
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }
  void sample(const std::string& labels, double value) {
    out_ += fmt::format("{}{{{}}} {}\n", name_, labels, value);
  }
  void sample(double value) { out_ += fmt::format("{} {}\n", name_, value); }

 private:
  std::string& out_;
  const char* name_;
};

std::string node_label(const NodeSlot& slot) {
  return fmt::format("node=\"{}\"", slot.config.id);
}

double seconds(int64_t ns) {
  return static_cast<double>(ns) / 1e9;
}

void run_metrics(std::string& out, const Scheduler& scheduler) {
  const auto& nodes = scheduler.nodes();
  Family files(out, "nodebackup_last_run_files", "gauge",
               "Files of the node's last run, by what happened to them.");
  for (const auto& [id, slot] : nodes) {
    if (!slot->last_run) continue;
    const auto& c = slot->last_run->counts;
    const std::pair<const char*, uint64_t> outcomes[] = {
        {"scanned", c.scanned}, {"unchanged", c.unchanged}, {"touched", c.touched},
        {"changed", c.changed}, {"new", c.added},           {"deleted", c.deleted},
        {"skipped", c.skipped}, {"errors", c.errors}};
    for (const auto& [outcome, n] : outcomes) {
      files.sample(fmt::format("{},outcome=\"{}\"", node_label(*slot), outcome),
                   static_cast<double>(n));
    }
  }
  Family read(out, "nodebackup_last_run_read_bytes", "gauge",
              "File content read from the node by its last run.");
  Family stored(out, "nodebackup_last_run_stored_bytes", "gauge",
                "Content newly stored in the repository by the node's last run.");
  Family duration(out, "nodebackup_last_run_duration_seconds", "gauge",
                  "How long the node's last run took.");
  Family success(out, "nodebackup_last_run_success", "gauge",
                 "1 if the node's last run succeeded, else 0.");
  for (const auto& [id, slot] : nodes) {
    if (!slot->last_run) continue;
    const auto& run = *slot->last_run;
    read.sample(node_label(*slot), static_cast<double>(run.counts.bytes_read));
    stored.sample(node_label(*slot), static_cast<double>(run.counts.bytes_stored));
    duration.sample(node_label(*slot), seconds(run.finished_ns - run.started_ns));
    success.sample(node_label(*slot), run.ok ? 1 : 0);
  }
}

void node_metrics(std::string& out, const Scheduler& scheduler) {
  const auto& nodes = scheduler.nodes();
  Family last_success(out, "nodebackup_last_success_timestamp_seconds", "gauge",
                      "When the node's last successful run finished (0: none since start).");
  Family runs(out, "nodebackup_runs_total", "counter", "Runs since the daemon started.");
  Family failures(out, "nodebackup_consecutive_failures", "gauge",
                  "Failed runs of the node in a row.");
  Family running(out, "nodebackup_node_running", "gauge", "1 while a run of the node is going.");
  Family alarm(out, "nodebackup_alarm", "gauge",
               "1 while a health alarm of that kind is raised for the node.");
  Family alarm_files(out, "nodebackup_alarm_files", "gauge",
                     "Files the node's raised health alarm of that kind concerns.");
  for (const auto& [id, slot] : nodes) {
    const auto label = node_label(*slot);
    last_success.sample(label, seconds(slot->last_success_ns));
    runs.sample(label + ",result=\"ok\"", static_cast<double>(slot->runs_ok));
    runs.sample(label + ",result=\"failed\"", static_cast<double>(slot->runs_failed));
    failures.sample(label, slot->consecutive_failures);
    running.sample(label, slot->running ? 1 : 0);
    for (const char* kind : {kWritebackIncomplete, kDiffIneffective, kStoreUntrusted, kStale}) {
      const auto it = slot->health.alarms().find(kind);
      const auto kind_label = fmt::format("{},kind=\"{}\"", label, kind);
      alarm.sample(kind_label, it == slot->health.alarms().end() ? 0 : 1);
      alarm_files.sample(kind_label, it == slot->health.alarms().end()
                                         ? 0
                                         : static_cast<double>(it->second.count));
    }
  }
}

void notify_metrics(std::string& out, const DaemonFacts& facts) {
  Family queued(out, "nodebackup_notify_queue_length", "gauge",
                "Events waiting for the notification target (and the one being sent).");
  Family sent(out, "nodebackup_notify_sent_total", "counter", "Events the target accepted.");
  Family failed(out, "nodebackup_notify_failed_total", "counter",
                "Events not delivered to the target after every retry.");
  Family dropped(out, "nodebackup_notify_dropped_total", "counter",
                 "Events dropped because the target's queue was full.");
  Family success(out, "nodebackup_notify_last_success_timestamp_seconds", "gauge",
                 "When the target last accepted an event (0: not since start).");
  Family error(out, "nodebackup_notify_last_error_timestamp_seconds", "gauge",
               "When a delivery to the target last failed (0: not since start).");
  for (const auto& t : facts.notify) {
    const auto label = fmt::format("target=\"{}\",type=\"{}\"", t.name, t.type);
    queued.sample(label, static_cast<double>(t.queued));
    sent.sample(label, static_cast<double>(t.sent));
    failed.sample(label, static_cast<double>(t.failed));
    dropped.sample(label, static_cast<double>(t.dropped));
    success.sample(label, seconds(t.last_success_ns));
    error.sample(label, seconds(t.last_error_ns));
  }
  Family alarm(out, "nodebackup_repository_alarm", "gauge",
               "1 while the repository's alarm of that kind is raised.");
  alarm.sample(fmt::format("kind=\"{}\"", kRepositorySpace),
               facts.repository_alarms.contains(kRepositorySpace) ? 1 : 0);
  if (facts.repository_space) {
    Family free_bytes(out, "nodebackup_repository_free_bytes", "gauge",
                      "Free space of the repository's filesystem, as last measured.");
    free_bytes.sample(static_cast<double>(facts.repository_space->free_bytes));
  }
}

// A label value as the exposition format wants it: a path may hold '"', '\\' or a line break.
std::string label_value(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '\\' || c == '"') out += '\\';
    out += c == '\n' ? std::string("\\n") : std::string(1, c);
  }
  return out;
}

void copy_metrics(std::string& out, const DaemonFacts& facts) {
  if (facts.copies.empty()) return;
  Family success(out, "nodebackup_copy_last_success_timestamp_seconds", "gauge",
                 "When the scheduled copy last succeeded (0: never).");
  Family failures(out, "nodebackup_copy_consecutive_failures", "gauge",
                  "Failed runs of the scheduled copy in a row.");
  Family bytes(out, "nodebackup_copy_last_run_copied_bytes", "gauge",
               "Content the scheduled copy's last run sent to its target.");
  for (const auto& c : facts.copies) {
    const auto label = fmt::format("to=\"{}\",node=\"{}\"", label_value(c.copy.to), c.copy.node);
    success.sample(label, seconds(c.history.last_success_ns));
    failures.sample(label, c.history.consecutive_failures);
    bytes.sample(label, c.history.last_run
                            ? static_cast<double>(c.history.last_run->report.bytes_copied)
                            : 0);
  }
}

nlohmann::json time_json(int64_t ns) {
  return ns > 0 ? nlohmann::json(rfc3339(ns)) : nlohmann::json(nullptr);
}

nlohmann::json notify_json(const DaemonFacts& facts) {
  auto targets = nlohmann::json::array();
  for (const auto& t : facts.notify) {
    targets.push_back({{"name", t.name},
                       {"type", t.type},
                       {"last_success", time_json(t.last_success_ns)},
                       {"last_error", t.last_error.empty() ? nlohmann::json(nullptr)
                                                           : nlohmann::json(t.last_error)},
                       {"last_error_time", time_json(t.last_error_ns)},
                       {"queued", t.queued},
                       {"sent", t.sent},
                       {"failed", t.failed},
                       {"dropped", t.dropped}});
  }
  return targets;
}

nlohmann::json repository_json(const DaemonFacts& facts) {
  auto alarms = nlohmann::json::array();
  for (const auto& [kind, a] : facts.repository_alarms) {
    alarms.push_back({{"kind", kind},
                      {"count", a.count},
                      {"examples", a.examples},
                      {"since", rfc3339(a.since_ns)}});
  }
  nlohmann::json out = {{"alarms", std::move(alarms)}};
  if (facts.repository_space) {
    out["free_bytes"] = facts.repository_space->free_bytes;
    out["total_bytes"] = facts.repository_space->total_bytes;
  }
  return out;
}

}  // namespace

nlohmann::json status_json(const DaemonFacts& facts, const Scheduler& scheduler) {
  status::Report report{.version = NB_VERSION,
                        .pid = ::getpid(),
                        .uptime_s = (now_ns() - facts.started_ns) / 1'000'000'000,
                        .config = facts.config_path,
                        .store = {.entries = facts.store.entries,
                                  .missing = facts.store.untrusted,
                                  .dirty = facts.store.dirty,
                                  .last_snapshot = time_or_none(facts.store.last_snapshot_ns)},
                        .running = scheduler.running(),
                        .nodes = {},
                        .copies = {}};
  for (const auto& [id, slot] : scheduler.nodes()) report.nodes.push_back(node_status(*slot));
  for (const auto& copy : facts.copies) report.copies.push_back(copy_status(copy));
  auto out = status::to_json(report);
  out["notify"] = notify_json(facts);
  out["repository"] = repository_json(facts);
  return out;
}

std::string status_line(const DaemonFacts& facts, const Scheduler& scheduler) {
  std::string line =
      fmt::format("{} nodes, {} running", scheduler.nodes().size(), scheduler.running());
  if (!facts.last_node) return line;
  const auto it = scheduler.nodes().find(*facts.last_node);
  if (it == scheduler.nodes().end() || !it->second->last_run) return line;
  const auto& run = *it->second->last_run;
  return line + fmt::format(", last: {} {}, {} changed", *facts.last_node, run.ok ? "ok" : "failed",
                            run.counts.changed + run.counts.added);
}

std::string metrics_text(const DaemonFacts& facts, const Scheduler& scheduler) {
  std::string out;
  Family info(out, "nodebackup_info", "gauge", "The running daemon's version.");
  info.sample(fmt::format("version=\"{}\"", NB_VERSION), 1);
  Family start(out, "nodebackup_start_time_seconds", "gauge", "When the daemon started.");
  start.sample(seconds(facts.started_ns));
  Family entries(out, "nodebackup_store_entries", "gauge", "Entries in the hash store.");
  entries.sample(static_cast<double>(facts.store.entries));
  Family untrusted(out, "nodebackup_store_untrusted_entries", "gauge",
                   "Hash store entries that are not trusted hashes (\"MISSING\", legacy).");
  untrusted.sample(static_cast<double>(facts.store.untrusted));
  run_metrics(out, scheduler);
  node_metrics(out, scheduler);
  notify_metrics(out, facts);
  copy_metrics(out, facts);
  return out;
}

}  // namespace nb::daemon
