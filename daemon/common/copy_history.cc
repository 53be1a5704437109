#include "common/copy_history.h"

#include <cerrno>
#include <exception>

#include <nlohmann/json.hpp>

#include "util/file.h"
#include "util/json_integer.h"

namespace nb::daemon {

namespace {

using json = nlohmann::json;

std::string state_path(const std::string& state_dir) {
  return state_dir + "/" + kCopyStateFile;
}

json run_json(const CopyRun& run) {
  json j = {{"started_ns", run.started_ns},
            {"finished_ns", run.finished_ns},
            {"ok", run.ok},
            {"snapshots_copied", run.report.snapshots_copied},
            {"snapshots_present", run.report.snapshots_present},
            {"blobs_copied", run.report.blobs_copied},
            {"bytes_copied", run.report.bytes_copied}};
  if (run.error) j["error"] = *run.error;
  return j;
}

CopyRun run_from_json(const json& j) {
  CopyRun run;
  run.started_ns = integer_field<int64_t>(j, "started_ns");
  run.finished_ns = integer_field<int64_t>(j, "finished_ns");
  run.ok = j.at("ok").get<bool>();
  run.report.snapshots_copied = integer_field<uint64_t>(j, "snapshots_copied");
  run.report.snapshots_present = integer_field<uint64_t>(j, "snapshots_present");
  run.report.blobs_copied = integer_field<uint64_t>(j, "blobs_copied");
  run.report.bytes_copied = integer_field<uint64_t>(j, "bytes_copied");
  if (j.contains("error")) run.error = j.at("error").get<std::string>();
  return run;
}

}  // namespace

Result<CopyHistories> load_copy_state(const std::string& state_dir) {
  const std::string path = state_path(state_dir);
  auto text = read_file(path);
  if (!text) {
    if (text.error().code() == ENOENT) return CopyHistories{};
    return std::unexpected(text.error());
  }
  return parse_copy_state(*text, path);
}

Result<CopyHistories> parse_copy_state(std::string_view text, const std::string& path) {
  try {
    const json j = json::parse(text);
    if (integer_field<int>(j, "version") != 1) {
      return fail("read copy state", path, EPROTO, "unknown version");
    }
    CopyHistories out;
    for (const auto& c : j.at("copies")) {
      config::CopyTarget target{.to = c.at("to").get<std::string>(),
                                .node = c.at("node").get<std::string>()};
      CopyHistory history;
      history.last_success_ns = integer_field<int64_t>(c, "last_success_ns");
      history.consecutive_failures = integer_field<int>(c, "consecutive_failures");
      if (!c.at("last_run").is_null()) history.last_run = run_from_json(c.at("last_run"));
      out[target.name()] = std::move(history);
    }
    return out;
  } catch (const std::exception& e) {
    return fail("read copy state", path, EPROTO, e.what());
  }
}

std::string copy_state_text(const std::vector<std::pair<config::CopyTarget, CopyHistory>>& list) {
  auto copies = json::array();
  for (const auto& [copy, h] : list) {
    copies.push_back({{"to", copy.to},
                      {"node", copy.node},
                      {"last_success_ns", h.last_success_ns},
                      {"consecutive_failures", h.consecutive_failures},
                      {"last_run", h.last_run ? run_json(*h.last_run) : json()}});
  }
  return json{{"version", 1}, {"copies", std::move(copies)}}.dump() + "\n";
}

Result<> save_copy_state(const std::string& state_dir, const std::string& text) {
  return write_file_durably(state_path(state_dir), text);
}

}  // namespace nb::daemon
