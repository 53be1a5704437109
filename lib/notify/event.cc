#include "notify/event.h"

#include "util/clock.h"

namespace nb::notify {

nlohmann::json to_json(const Event& e) {
  nlohmann::json counts = nlohmann::json::object();
  for (const auto& [name, n] : e.counts) counts[name] = n;
  nlohmann::json j = {
      {"version", 1},
      {"host", e.host},
      {"node", e.node.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.node)},
      {"kind", e.kind},
      {"severity", config::to_string(e.severity)},
      {"summary", e.summary},
      {"alarm", e.alarm.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.alarm)},
      {"error", e.error ? nlohmann::json(*e.error) : nlohmann::json(nullptr)},
      {"counts", std::move(counts)},
      {"examples", e.examples},
      {"consecutive_failures", e.consecutive_failures},
      {"repeat", e.repeat},
      {"time", rfc3339(e.time_ns)}};
  if (e.ok) j["ok"] = *e.ok;
  if (!e.copy_to.empty()) j["copy_to"] = e.copy_to;
  return j;
}

std::string title(const Event& e) {
  std::string what;
  if (e.kind == kAlarmRaised) {
    what = "alarm " + e.alarm + (e.repeat ? " still raised" : "");
  } else if (e.kind == kAlarmCleared) {
    what = "alarm " + e.alarm + " cleared";
  } else if (e.kind == kRunFinished) {
    what = e.ok.value_or(false) ? "run ok" : "run failed";
  } else {
    what = e.kind;
    for (char& c : what) c = c == '_' ? ' ' : c;
  }
  return "nodebackup " + (e.node.empty() ? e.host : e.node) + ": " + what;
}

std::string text(const Event& e) {
  std::string out = e.summary + "\n";
  if (e.error) out += "error: " + *e.error + "\n";
  if (!e.counts.empty()) {
    std::string line;
    for (const auto& [name, n] : e.counts) {
      line += (line.empty() ? "" : ", ") + name + " " + std::to_string(n);
    }
    out += line + "\n";
  }
  for (const auto& example : e.examples) out += "  " + example + "\n";
  out += "host " + e.host + ", " + rfc3339(e.time_ns) + "\n";
  return out;
}

}  // namespace nb::notify
