#include "nodebackupd/http/run_charts.h"

#include <algorithm>

#include <fmt/format.h>

#include "nodebackupd/http/html.h"

namespace nb::daemon::http {

namespace {

constexpr double kWidth = 960, kHeight = 200, kLeft = 56, kRight = 8, kTop = 8, kBottom = 22;
constexpr double kPlotW = kWidth - kLeft - kRight, kPlotH = kHeight - kTop - kBottom;

uint64_t files_read(const repo::RunCounts& c) {
  return c.touched + c.changed + c.added;
}

std::string tooltip(const RunRow& run) {
  const auto& c = run.counts;
  if (!run.ok) return fmt::format("{} failed: {}", short_time(run.finished_ns), run.error);
  return fmt::format(
      "{}{}: {} scanned, {} touched, {} changed, {} new, {} deleted; read {}, stored {}",
      short_time(run.finished_ns), run.partial ? " (partial)" : "", c.scanned, c.touched, c.changed,
      c.added, c.deleted, short_bytes(c.bytes_read), short_bytes(c.bytes_stored));
}

// The frame: axes, the top value's label, the first and last run's dates.
std::string frame(const std::vector<RunRow>& runs, const std::string& top_label,
                  const char* css_class) {
  std::string out = fmt::format(
      "<svg class=\"{}\" viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\" role=\"img\" "
      "xmlns=\"http://www.w3.org/2000/svg\">",
      css_class, kWidth, kHeight, kWidth, kHeight);
  out += fmt::format(
      "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#9aa3ad\"/>"
      "<line x1=\"{0}\" y1=\"{2}\" x2=\"{3}\" y2=\"{2}\" stroke=\"#9aa3ad\"/>",
      kLeft, kTop, kTop + kPlotH, kLeft + kPlotW);
  out += fmt::format(
      "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>"
      "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">0</text>",
      kLeft - 4, kTop + 10, escape(top_label), kLeft - 4, kTop + kPlotH);
  if (!runs.empty()) {
    out += fmt::format(
        "<text x=\"{}\" y=\"{}\" font-size=\"11\">{}</text>"
        "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>",
        kLeft, kHeight - 6, escape(short_time(runs.front().finished_ns)), kLeft + kPlotW,
        kHeight - 6, escape(short_time(runs.back().finished_ns)));
  }
  return out;
}

}  // namespace

std::string files_chart(const std::vector<RunRow>& runs) {
  uint64_t top = 1;
  for (const auto& run : runs) top = std::max(top, files_read(run.counts));
  std::string out = frame(runs, fmt::format("{} files", top), "chart files-chart");
  const double step = runs.empty() ? kPlotW : kPlotW / static_cast<double>(runs.size());
  const double bar = std::max(step * 0.8, 0.6);
  const double base = kTop + kPlotH;
  for (size_t i = 0; i < runs.size(); ++i) {
    const auto& run = runs[i];
    const double x = kLeft + step * static_cast<double>(i) + (step - bar) / 2;
    const char* kind = !run.ok ? "failed" : run.partial ? "partial" : "ok";
    out += fmt::format("<g class=\"run {}\"><title>{}</title>", kind, escape(tooltip(run)));
    if (!run.ok) {
      out += fmt::format(
          "<rect class=\"fail\" x=\"{:.2f}\" y=\"{}\" width=\"{:.2f}\" height=\"{}\" "
          "opacity=\"0.6\"/></g>",
          x, kTop, bar, kPlotH);
      continue;
    }
    // A run that read nothing still shows: a grey tick on the axis.
    out +=
        fmt::format("<rect x=\"{:.2f}\" y=\"{}\" width=\"{:.2f}\" height=\"2\" fill=\"#c5cbd3\"/>",
                    x, base - 2, bar);
    double y = base;
    const std::pair<const char*, uint64_t> parts[] = {{"touched", run.counts.touched},
                                                      {"changed", run.counts.changed},
                                                      {"new", run.counts.added}};
    for (const auto& [part, n] : parts) {
      if (n == 0) continue;
      const double h = kPlotH * static_cast<double>(n) / static_cast<double>(top);
      y -= h;
      out += fmt::format(
          "<rect class=\"{}\" x=\"{:.2f}\" y=\"{:.2f}\" width=\"{:.2f}\" height=\"{:.2f}\"/>", part,
          x, y, bar, h);
    }
    out += "</g>";
  }
  return out + "</svg>";
}

std::string bytes_chart(const std::vector<RunRow>& runs) {
  uint64_t top = 1;
  for (const auto& run : runs) {
    top = std::max({top, run.counts.bytes_read, run.counts.bytes_stored});
  }
  std::string out = frame(runs, short_bytes(top), "chart bytes-chart");
  const double step = runs.empty() ? kPlotW : kPlotW / static_cast<double>(runs.size());
  std::string read, stored;
  for (size_t i = 0; i < runs.size(); ++i) {
    const double x = kLeft + step * (static_cast<double>(i) + 0.5);
    const auto y = [&](uint64_t v) {
      return kTop + kPlotH - kPlotH * static_cast<double>(v) / static_cast<double>(top);
    };
    read += fmt::format("{:.2f},{:.2f} ", x, y(runs[i].counts.bytes_read));
    stored += fmt::format("{:.2f},{:.2f} ", x, y(runs[i].counts.bytes_stored));
    if (!runs[i].ok) {
      out += fmt::format("<circle class=\"fail\" cx=\"{:.2f}\" cy=\"{}\" r=\"3\"/>", x,
                         kTop + kPlotH - 3);
    }
  }
  out += fmt::format(
      "<polyline class=\"read\" fill=\"none\" stroke-width=\"1.5\" points=\"{}\"/>"
      "<polyline class=\"stored\" fill=\"none\" stroke-width=\"1.5\" points=\"{}\"/>",
      read, stored);
  return out + "</svg>";
}

std::string sparkline(const std::vector<RunRow>& runs, size_t count) {
  constexpr double kW = 150, kH = 28, kStep = kW / 30;
  const size_t first = runs.size() > count ? runs.size() - count : 0;
  uint64_t top = 1;
  for (size_t i = first; i < runs.size(); ++i) top = std::max(top, files_read(runs[i].counts));
  std::string out = fmt::format(
      "<svg class=\"spark\" viewBox=\"0 0 {0} {1}\" width=\"{0}\" height=\"{1}\" "
      "xmlns=\"http://www.w3.org/2000/svg\">",
      kW, kH);
  for (size_t i = first; i < runs.size(); ++i) {
    const auto& run = runs[i];
    const double x = kStep * static_cast<double>(i - first);
    out += fmt::format("<g class=\"spark-run\"><title>{}</title>", escape(tooltip(run)));
    if (!run.ok) {
      out +=
          fmt::format("<rect class=\"fail\" x=\"{:.1f}\" y=\"0\" width=\"{:.1f}\" height=\"{}\"/>",
                      x, kStep - 1, kH);
    } else {
      out += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"2\" fill=\"#c5cbd3\"/>", x, kH - 2,
          kStep - 1);
      // Stacked as in the node page's chart: touched, changed, new.
      double y = kH - 2;
      const std::pair<const char*, uint64_t> parts[] = {{"touched", run.counts.touched},
                                                        {"changed", run.counts.changed},
                                                        {"new", run.counts.added}};
      for (const auto& [part, n] : parts) {
        if (n == 0) continue;
        const double h = (kH - 2) * static_cast<double>(n) / static_cast<double>(top);
        y -= h;
        out += fmt::format(
            "<rect class=\"{}\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\"/>",
            part, x, y, kStep - 1, h);
      }
    }
    out += "</g>";
  }
  return out + "</svg>";
}

}  // namespace nb::daemon::http
