#include "common/status_schema.h"

#include <cerrno>
#include <exception>

#include "util/json_integer.h"

namespace nb::status {

namespace {

using json = nlohmann::json;

json optional_json(const std::optional<std::string>& value) {
  return value ? json(*value) : json();
}

json alarm_json(const Alarm& a) {
  return {{"kind", a.kind}, {"count", a.count}, {"examples", a.examples}, {"since", a.since}};
}

json node_json(const Node& n) {
  auto alarms = json::array();
  for (const auto& a : n.alarms) alarms.push_back(alarm_json(a));
  json j = {{"id", n.id},
            {"type", n.type},
            {"state", n.state},
            {"next_run", optional_json(n.next_run)},
            {"interval_s", n.interval_s},
            {"consecutive_failures", n.consecutive_failures},
            {"runs", {{"ok", n.runs_ok}, {"failed", n.runs_failed}}},
            {"last_success", optional_json(n.last_success)},
            {"alarms", std::move(alarms)},
            {"last_run", n.last_run ? to_json(*n.last_run) : json()}};
  if (n.cannot_capture) j["cannot_capture"] = *n.cannot_capture;
  if (n.progress) {
    j["progress"] = {{"files_read", n.progress->files_read},
                     {"files_to_read", n.progress->files_to_read},
                     {"bytes_read", n.progress->bytes_read}};
  }
  return j;
}

json copy_json(const Copy& c) {
  json last = nullptr;
  if (c.last_run) {
    const auto& r = *c.last_run;
    last = {{"ok", r.ok},
            {"started", r.started},
            {"finished", r.finished},
            {"result", r.result},
            {"error", optional_json(r.error)},
            {"snapshots_copied", r.snapshots_copied},
            {"snapshots_present", r.snapshots_present},
            {"blobs_copied", r.blobs_copied},
            {"bytes_copied", r.bytes_copied}};
  }
  return {{"to", c.to},
          {"node", optional_json(c.node)},
          {"state", c.state},
          {"interval_s", c.interval_s},
          {"next_run", optional_json(c.next_run)},
          {"last_success", optional_json(c.last_success)},
          {"consecutive_failures", c.consecutive_failures},
          {"last_run", std::move(last)}};
}

// Reading: every field is checked for its type, and a missing or mistyped one names itself.
class Reader {
 public:
  Reader(const json& j, std::string where) : j_(j), where_(std::move(where)) {}

  template <typename T>
  T get(const char* key) {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      try {
        return integer_field<T>(j_, key);  // range-checked: the reply is a peer's bytes
      } catch (const std::exception&) {
        bad(key);
        return T{};
      }
    } else {
      const auto it = j_.find(key);
      if (it == j_.end() || !matches<T>(*it)) {
        bad(key);
        return T{};
      }
      return it->get<T>();
    }
  }
  std::optional<std::string> optional_string(const char* key) {
    const auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) return bad(key), std::nullopt;
    return it->get<std::string>();
  }
  const json& sub(const char* key, bool (json::*kind)() const) {
    static const json null;
    const auto it = j_.find(key);
    if (it == j_.end() || !((*it).*kind)()) return bad(key), null;
    return *it;
  }
  void bad(const std::string& key) {
    if (!error_) error_ = Error("read status", where_ + "." + key, EPROTO, "missing or mistyped");
  }
  const std::optional<Error>& error() const { return error_; }
  void adopt(const std::optional<Error>& e) {
    if (!error_ && e) error_ = e;
  }
  const std::string& where() const { return where_; }

 private:
  template <typename T>
  static bool matches(const json& v) {
    if constexpr (std::is_same_v<T, bool>) return v.is_boolean();
    return v.is_string();
  }

  const json& j_;
  std::string where_;
  std::optional<Error> error_;
};

Run read_run(Reader& r, const json& j) {
  Run run;
  run.ok = r.get<bool>("ok");
  run.started = r.get<std::string>("started");
  run.finished = r.get<std::string>("finished");
  run.result = r.get<std::string>("result");
  run.error = r.optional_string("error");
  run.failure = r.optional_string("failure");
  run.source = r.optional_string("source");
  run.snapshot = r.get<std::string>("snapshot");
  try {
    run.counts = repo::counts_from_json(j);
  } catch (const std::exception&) {
    r.bad("counts");
  }
  return run;
}

Copy read_copy(Reader& c, const json& j) {
  Copy copy;
  copy.to = c.get<std::string>("to");
  copy.node = c.optional_string("node");
  copy.state = c.get<std::string>("state");
  copy.interval_s = c.get<int64_t>("interval_s");
  copy.next_run = c.optional_string("next_run");
  copy.last_success = c.optional_string("last_success");
  copy.consecutive_failures = c.get<int>("consecutive_failures");
  const auto last = j.find("last_run");
  if (last != j.end() && last->is_object()) {
    Reader l(*last, c.where() + ".last_run");
    copy.last_run = CopyRun{.ok = l.get<bool>("ok"),
                            .started = l.get<std::string>("started"),
                            .finished = l.get<std::string>("finished"),
                            .result = l.get<std::string>("result"),
                            .error = l.optional_string("error"),
                            .snapshots_copied = l.get<uint64_t>("snapshots_copied"),
                            .snapshots_present = l.get<uint64_t>("snapshots_present"),
                            .blobs_copied = l.get<uint64_t>("blobs_copied"),
                            .bytes_copied = l.get<uint64_t>("bytes_copied")};
    c.adopt(l.error());
  } else if (last != j.end() && !last->is_null()) {
    c.bad("last_run");
  }
  return copy;
}

}  // namespace

json to_json(const Run& run) {
  json j = {{"ok", run.ok},
            {"started", run.started},
            {"finished", run.finished},
            {"result", run.result},
            {"error", optional_json(run.error)},
            {"snapshot", run.snapshot}};
  if (run.failure) j["failure"] = *run.failure;
  if (run.source) j["source"] = *run.source;
  repo::counts_to_json(run.counts, j);
  return j;
}

json to_json(const Report& report) {
  auto nodes = json::array();
  for (const auto& n : report.nodes) nodes.push_back(node_json(n));
  auto copies = json::array();
  for (const auto& c : report.copies) copies.push_back(copy_json(c));
  return {{"ok", true},
          {"version", report.version},
          {"pid", report.pid},
          {"uptime_s", report.uptime_s},
          {"config", report.config},
          {"store",
           {{"entries", report.store.entries},
            {"missing", report.store.missing},
            {"dirty", report.store.dirty},
            {"last_snapshot", optional_json(report.store.last_snapshot)}}},
          {"running", report.running},
          {"nodes", std::move(nodes)},
          {"copies", std::move(copies)}};
}

Result<Run> run_from_json(const json& j) {
  if (!j.is_object()) return fail("read status", "run", EPROTO, "not an object");
  Reader r(j, "run");
  Run run = read_run(r, j);
  if (r.error()) return std::unexpected(*r.error());
  return run;
}

Result<Report> report_from_json(const json& j) {
  if (!j.is_object()) return fail("read status", "status", EPROTO, "not an object");
  Reader r(j, "status");
  Report report;
  report.version = r.get<std::string>("version");
  report.pid = r.get<int64_t>("pid");
  report.uptime_s = r.get<int64_t>("uptime_s");
  report.config = r.get<std::string>("config");
  report.running = r.get<uint64_t>("running");
  const json& store = r.sub("store", &json::is_object);
  if (store.is_object()) {
    Reader s(store, "status.store");
    report.store.entries = s.get<uint64_t>("entries");
    report.store.missing = s.get<uint64_t>("missing");
    report.store.dirty = s.get<bool>("dirty");
    report.store.last_snapshot = s.optional_string("last_snapshot");
    r.adopt(s.error());
  }
  const json& nodes = r.sub("nodes", &json::is_array);
  for (size_t i = 0; nodes.is_array() && i < nodes.size(); ++i) {
    const json& nj = nodes[i];
    const std::string where = "status.nodes[" + std::to_string(i) + "]";
    if (!nj.is_object()) {
      r.adopt(Error("read status", where, EPROTO, "not an object"));
      break;
    }
    Reader n(nj, where);
    Node node;
    node.id = n.get<std::string>("id");
    node.type = n.get<std::string>("type");
    node.state = n.get<std::string>("state");
    node.next_run = n.optional_string("next_run");
    node.last_success = n.optional_string("last_success");
    node.cannot_capture = n.optional_string("cannot_capture");
    node.interval_s = n.get<int64_t>("interval_s");
    node.consecutive_failures = n.get<int>("consecutive_failures");
    const json& runs = n.sub("runs", &json::is_object);
    if (runs.is_object()) {
      Reader rr(runs, where + ".runs");
      node.runs_ok = rr.get<uint64_t>("ok");
      node.runs_failed = rr.get<uint64_t>("failed");
      n.adopt(rr.error());
    }
    const json& alarms = n.sub("alarms", &json::is_array);
    for (size_t k = 0; alarms.is_array() && k < alarms.size(); ++k) {
      if (!alarms[k].is_object()) {
        n.bad("alarms[" + std::to_string(k) + "]");
        break;
      }
      Reader a(alarms[k], where + ".alarms[" + std::to_string(k) + "]");
      Alarm alarm{
          a.get<std::string>("kind"), a.get<uint64_t>("count"), {}, a.get<std::string>("since")};
      const json& examples = a.sub("examples", &json::is_array);
      for (const auto& e : examples.is_array() ? examples : json::array()) {
        if (e.is_string()) alarm.examples.push_back(e.get<std::string>());
      }
      n.adopt(a.error());
      node.alarms.push_back(std::move(alarm));
    }
    const auto last = nj.find("last_run");
    if (last != nj.end() && last->is_object()) {
      Reader lr(*last, where + ".last_run");
      node.last_run = read_run(lr, *last);
      n.adopt(lr.error());
    } else if (last != nj.end() && !last->is_null()) {
      n.bad("last_run");
    }
    const auto progress = nj.find("progress");
    if (progress != nj.end() && progress->is_object()) {
      Reader p(*progress, where + ".progress");
      node.progress = Progress{p.get<uint64_t>("files_read"), p.get<uint64_t>("files_to_read"),
                               p.get<uint64_t>("bytes_read")};
      n.adopt(p.error());
    }
    r.adopt(n.error());
    report.nodes.push_back(std::move(node));
  }
  // Optional: a daemon that predates scheduled copies does not send the key.
  const auto copies = j.find("copies");
  if (copies != j.end() && !copies->is_array()) r.bad("copies");
  for (size_t i = 0; copies != j.end() && copies->is_array() && i < copies->size(); ++i) {
    const std::string where = "status.copies[" + std::to_string(i) + "]";
    if (!(*copies)[i].is_object()) {
      r.adopt(Error("read status", where, EPROTO, "not an object"));
      break;
    }
    Reader c((*copies)[i], where);
    report.copies.push_back(read_copy(c, (*copies)[i]));
    r.adopt(c.error());
  }
  if (r.error()) return std::unexpected(*r.error());
  return report;
}

}  // namespace nb::status
