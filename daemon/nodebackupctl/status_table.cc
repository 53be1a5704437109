#include "nodebackupctl/status_table.h"

#include <fmt/format.h>
#include <algorithm>
#include <vector>

#include "util/error.h"

namespace nb::ctl {

namespace {

using json = nlohmann::json;

std::string text(const json& j, const char* key, const char* absent = "-") {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return absent;
  return it->is_string() ? it->get<std::string>() : it->dump();
}

uint64_t count(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

std::string alarm_names(const std::vector<status::Alarm>& alarms) {
  if (alarms.empty()) return "-";
  std::string out;
  for (const auto& a : alarms)
    out += (out.empty() ? "" : ",") + fmt::format("{}({})", a.kind, a.count);
  return out;
}

// Columns as wide as their widest cell.
std::string render(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()));
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(width[c] - row[c].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

// The scheduled copies, under the nodes; nothing when none is configured.
std::string copy_table(const std::vector<status::Copy>& copies, std::string& problem_lines) {
  if (copies.empty()) return "";
  std::vector<std::vector<std::string>> rows = {
      {"COPY TO", "NODE", "STATE", "LAST RUN", "RESULT", "COPIED", "LAST SUCCESS", "NEXT RUN"}};
  for (const auto& copy : copies) {
    const auto& last = copy.last_run;
    rows.push_back({copy.to, copy.node.value_or("all"), copy.state, last ? last->finished : "never",
                    last ? last->result : "-",
                    last ? fmt::format("{} snapshots, {} blobs, {}", last->snapshots_copied,
                                       last->blobs_copied, format_bytes(last->bytes_copied))
                         : "-",
                    copy.last_success.value_or("never"), copy.next_run.value_or("-")});
    if (last && !last->ok) {
      problem_lines += fmt::format("copy to {}: failed {} time(s) in a row: {}\n", copy.to,
                                   copy.consecutive_failures, last->error.value_or("-"));
    }
  }
  return "\n" + render(rows);
}

}  // namespace

std::string status_table(const status::Report& status) {
  std::vector<std::vector<std::string>> rows = {
      {"NODE", "STATE", "LAST RUN", "RESULT", "CHANGED/SCANNED", "STORED", "NEXT RUN", "ALARMS"}};
  std::string alarm_lines;
  for (const auto& node : status.nodes) {
    const auto& last = node.last_run;
    rows.push_back({node.id, node.state, last ? last->finished : "never", last ? last->result : "-",
                    last ? fmt::format("{}/{}", last->counts.changed + last->counts.added,
                                       last->counts.scanned)
                         : "-",
                    last ? format_bytes(last->counts.bytes_stored) : "-",
                    node.next_run.value_or("-"), alarm_names(node.alarms)});
    if (last && last->result == "failed") {
      alarm_lines += fmt::format("{}: last run failed: {}\n", node.id, last->error.value_or("-"));
    }
    if (node.cannot_capture) {
      alarm_lines +=
          fmt::format("{}: its transport cannot capture {}\n", node.id, *node.cannot_capture);
    }
    for (const auto& a : node.alarms) {
      std::string examples;
      for (const auto& e : a.examples) examples += (examples.empty() ? "" : ", ") + e;
      if (a.kind == "stale") {  // not about files: its one example says what is wrong
        alarm_lines += fmt::format("{}: alarm stale since {}: {}\n", node.id, a.since, examples);
        continue;
      }
      alarm_lines += fmt::format("{}: alarm {} since {}: {} files{}{}\n", node.id, a.kind, a.since,
                                 a.count, examples.empty() ? "" : ", e.g. ", examples);
    }
  }
  const std::string copies = copy_table(status.copies, alarm_lines);
  return fmt::format("nodebackupd {} (pid {}), up {}s, config {}\n", status.version, status.pid,
                     status.uptime_s, status.config) +
         fmt::format("hash store: {} entries, {} untrusted, last snapshot {}\n\n",
                     status.store.entries, status.store.missing,
                     status.store.last_snapshot.value_or("never")) +
         render(rows) + copies + (alarm_lines.empty() ? "" : "\n" + alarm_lines);
}

std::string run_line(const std::string& node, const json& event) {
  if (event.value("event", "") == "accepted") {
    return fmt::format("{}: run {}", node,
                       event.value("state", "") == "running" ? "started" : "queued");
  }
  return fmt::format(
      "{} {}: {} scanned, {} unchanged, {} touched, {} changed, {} new, {} deleted, {} errors, "
      "{} read, {} stored (snapshot {})",
      node, text(event, "result"), count(event, "scanned"), count(event, "unchanged"),
      count(event, "touched"), count(event, "changed"), count(event, "new"),
      count(event, "deleted"), count(event, "errors"), format_bytes(count(event, "bytes_read")),
      format_bytes(count(event, "bytes_stored")), text(event, "snapshot"));
}

std::string diff_text(const json& diff) {
  std::string out = fmt::format(
      "{}: {} scanned, {} unchanged, {} to read ({}), {} deleted, {} errors\n", text(diff, "node"),
      count(diff, "scanned"), count(diff, "unchanged"), count(diff, "to_read"),
      format_bytes(count(diff, "bytes_to_read")), count(diff, "deleted"), count(diff, "errors"));
  for (const auto& f : diff.value("files", json::array())) {
    out += fmt::format("  {:<14} {:>10}  {}\n", text(f, "reason"), format_bytes(count(f, "size")),
                       text(f, "path"));
  }
  if (diff.value("files_truncated", false)) out += "  (more files not listed)\n";
  return out;
}

}  // namespace nb::ctl
