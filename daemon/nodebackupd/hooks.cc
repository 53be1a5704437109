#include "nodebackupd/hooks.h"

#include <spdlog/spdlog.h>

#include "util/subprocess.h"

namespace nb::daemon {

namespace {

void log_output(const std::string& node, const char* which, const std::string& output) {
  size_t start = 0;
  while (start < output.size()) {
    size_t end = output.find('\n', start);
    if (end == std::string::npos) end = output.size();
    if (end > start)
      spdlog::info("{}: {} hook: {}", node, which, output.substr(start, end - start));
    start = end + 1;
  }
}

}  // namespace

Result<> run_hook(const config::NodeConfig& node, fs::NodeFs& fs, const char* which,
                  const std::string& command, const std::vector<std::string>& env) {
  std::vector<std::string> all = {"NB_NODE=" + node.id, std::string("NB_HOOK=") + which};
  all.insert(all.end(), env.begin(), env.end());
  spdlog::info("{}: running {} hook", node.id, which);
  auto outcome = fs.run_command(command, all, node.hooks.timeout);
  if (!outcome) {
    return fail(std::string(which) + " hook", node.id, outcome.error().code(),
                outcome.error().message(), outcome.error().transient());
  }
  log_output(node.id, which, outcome->output);
  if (outcome->ok()) return {};
  std::string why = outcome->describe();
  if (outcome->timed_out)
    why = "timed out after " + std::to_string(node.hooks.timeout.count()) + " s and was killed";
  // Transient: what a hook checks (a service, a dump) may well be fine on the next try.
  return fail(std::string(which) + " hook", node.id, 0, why, /*transient=*/true);
}

std::vector<std::string> result_environment(const backup::JobResult& r) {
  const char* result = r.ok ? "ok" : (r.interrupted ? "interrupted" : "failed");
  return {std::string("NB_RESULT=") + result,
          "NB_ERROR=" + (r.error ? r.error->message() : std::string()),
          "NB_SNAPSHOT=" + r.snapshot_id,
          "NB_SCANNED=" + std::to_string(r.counts.scanned),
          "NB_CHANGED=" + std::to_string(r.counts.changed),
          "NB_NEW=" + std::to_string(r.counts.added),
          "NB_DELETED=" + std::to_string(r.counts.deleted),
          "NB_ERRORS=" + std::to_string(r.counts.errors),
          "NB_BYTES_STORED=" + std::to_string(r.counts.bytes_stored)};
}

}  // namespace nb::daemon
