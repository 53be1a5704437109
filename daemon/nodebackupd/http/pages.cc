#include "nodebackupd/http/pages.h"

#include <fmt/format.h>

#include "nodebackupd/health.h"
#include "nodebackupd/http/html.h"
#include "nodebackupd/http/run_charts.h"

namespace nb::daemon::http {

namespace {

std::string node_link(const std::string& id) {
  return fmt::format("<a href=\"/nodes/{}\">{}</a>", url_segment(id), escape(id));
}

std::string alarm_badges(const status::Node& node) {
  std::string out;
  for (const auto& alarm : node.alarms) {
    out += fmt::format("<span class=\"badge\" title=\"{}\">{} ({})</span>",
                       escape(alarm_explanation(alarm.kind)), escape(alarm.kind), alarm.count);
  }
  return out.empty() ? "<span class=\"ok\">none</span>" : out;
}

std::string last_run_cells(const status::Node& node) {
  if (!node.last_run) return "<td>never</td><td></td><td></td>";
  const auto& run = *node.last_run;
  const auto& c = run.counts;
  const std::string result = run.ok
                                 ? "<span class=\"ok\">ok</span>"
                                 : fmt::format("<span class=\"failed\" title=\"{}\">{}</span>",
                                               escape(run.error.value_or("")), escape(run.result));
  const std::string reread = c.touched == 0 ? "" : fmt::format(" ({} re-read)", c.touched);
  return fmt::format(
      "<td>{} <small>{}</small></td><td class=\"n\">{} / {}{}</td><td class=\"n\">{} / {}</td>",
      result, escape(run.finished), c.changed + c.added, c.scanned, reread,
      short_bytes(c.bytes_read), short_bytes(c.bytes_stored));
}

const std::vector<RunRow> kNoRuns;

const std::vector<RunRow>& runs_of(const RunsByNode& runs, const std::string& id) {
  const auto it = runs.find(id);
  return it == runs.end() ? kNoRuns : it->second;
}

std::string alarm_section(const status::Node& node) {
  if (node.alarms.empty()) return "<p class=\"ok\">No alarms.</p>";
  std::string out;
  for (const auto& alarm : node.alarms) {
    out += fmt::format(
        "<div class=\"alarm\" data-kind=\"{}\"><strong>{}</strong>: {} files, since {}<br>{}",
        escape(alarm.kind), escape(alarm.kind), alarm.count, escape(alarm.since),
        escape(alarm_explanation(alarm.kind)));
    if (!alarm.examples.empty()) {
      out += "<br>For example:<ul>";
      for (const auto& path : alarm.examples) out += "<li><code>" + escape(path) + "</code></li>";
      out += "</ul>";
    }
    out += "</div>";
  }
  return out;
}

std::string snapshot_table(const std::string& node, const std::vector<RunRow>& runs) {
  std::string out =
      "<table class=\"snapshots\"><tr><th>Snapshot</th><th>Finished</th><th>Scanned</th>"
      "<th>Touched</th><th>Changed</th><th>New</th><th>Deleted</th><th>Read</th>"
      "<th>Stored</th></tr>\n";
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
    const auto& c = it->counts;
    const std::string what =
        it->ok ? fmt::format("<a href=\"/nodes/{}/snapshots/{}/\">{}</a>{}", url_segment(node),
                             url_segment(it->snapshot_id), escape(it->snapshot_id),
                             it->partial ? " (partial)" : "")
               : fmt::format("<span class=\"failed\">failed</span> {}", escape(it->error));
    out += fmt::format(
        "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
        "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
        "<td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
        what, short_time(it->finished_ns), c.scanned, c.touched, c.changed, c.added, c.deleted,
        short_bytes(c.bytes_read), short_bytes(c.bytes_stored));
  }
  return out + "</table>";
}

constexpr std::string_view kLegend =
    "<p class=\"legend\"><span><i class=\"sw\" style=\"background:#f59e0b\"></i>touched (read, "
    "content unchanged)</span><span><i class=\"sw\" style=\"background:#2563eb\"></i>changed"
    "</span><span><i class=\"sw\" style=\"background:#16a34a\"></i>new</span><span><i "
    "class=\"sw\" style=\"background:#dc2626\"></i>failed</span></p>";

}  // namespace

std::string alarm_explanation(const std::string& kind) {
  if (kind == kWritebackIncomplete) {
    return "Files were scanned but no hash was written back for them, so every run reads them "
           "again. Check that the daemon may read them and that the hash store is writable.";
  }
  if (kind == kDiffIneffective) {
    return fmt::format(
        "The same files were read again with unchanged content {} runs in a row: their "
        "size or mtime changes every run without their content changing (something touches "
        "them, or the clock is off), so diff detection saves nothing for them.",
        kIneffectiveRuns);
  }
  if (kind == kStoreUntrusted) {
    return "The hash store holds untrusted entries (\"MISSING\" or from an older version) for "
           "these files; the next run reads them and records trusted hashes.";
  }
  return "An alarm of the daemon's health checks.";
}

std::string overview_page(const status::Report& report, const RunsByNode& runs) {
  std::string body = fmt::format(
      "<h1>Nodes</h1><p>nodebackup {} · {} nodes · {} running · up {} s</p>\n"
      "<table class=\"fleet\"><tr><th>Node</th><th>State</th><th>Last run</th>"
      "<th>Changed / scanned</th><th>Read / stored</th><th>Next run</th><th>Alarms</th>"
      "<th>Last runs</th></tr>\n",
      escape(report.version), report.nodes.size(), report.running, report.uptime_s);
  for (const auto& node : report.nodes) {
    body += fmt::format(
        "<tr class=\"node\" data-node=\"{}\"><td>{}</td><td class=\"state-{}\">{}</td>{}<td>{}"
        "</td><td>{}</td><td>{}</td></tr>\n",
        escape(node.id), node_link(node.id), escape(node.state), escape(node.state),
        last_run_cells(node), escape(node.next_run.value_or("—")), alarm_badges(node),
        sparkline(runs_of(runs, node.id)));
  }
  body += "</table>";
  return page("Nodes", body);
}

std::string node_page(const status::Node& node, const std::vector<RunRow>& runs) {
  size_t failed = 0;
  for (const auto& run : runs) failed += run.ok ? 0 : 1;
  std::string body = fmt::format(
      "<h1>{}</h1><p>{} node · <span class=\"state-{}\">{}</span> · every {} s · next run {} · "
      "{} runs in the history ({} failed)</p>\n",
      escape(node.id), escape(node.type), escape(node.state), escape(node.state), node.interval_s,
      escape(node.next_run.value_or("—")), runs.size(), failed);
  body += "<h2>Alarms</h2>" + alarm_section(node);
  body += "<h2>Files read per run</h2>" + std::string(kLegend) + files_chart(runs);
  body +=
      "<h2>Bytes per run</h2><p class=\"legend\"><span style=\"color:#7c3aed\">— read</span>"
      "<span style=\"color:#0891b2\">— stored</span></p>" +
      bytes_chart(runs);
  body += "<h2>Snapshots and runs</h2>" + snapshot_table(node.id, runs);
  return page(node.id, body);
}

}  // namespace nb::daemon::http
