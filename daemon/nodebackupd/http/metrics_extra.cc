#include "nodebackupd/http/metrics_extra.h"

#include <fmt/format.h>

namespace nb::daemon::http {

std::string repository_metrics(std::optional<uint64_t> repository_bytes,
                               const Histories* histories) {
  std::string out;
  if (repository_bytes) {
    out += fmt::format(
        "# HELP nodebackup_repository_size_bytes Bytes of every file in the repository.\n"
        "# TYPE nodebackup_repository_size_bytes gauge\n"
        "nodebackup_repository_size_bytes {}\n",
        *repository_bytes);
  }
  if (histories != nullptr) {
    out +=
        "# HELP nodebackup_snapshots Snapshot records of the node in the repository.\n"
        "# TYPE nodebackup_snapshots gauge\n";
    for (const auto& [node, history] : *histories) {
      out += fmt::format("nodebackup_snapshots{{node=\"{}\"}} {}\n", node,
                         history ? history->snapshots.size() : 0);
    }
  }
  return out;
}

Result<uint64_t> repository_size(const repo::Repository& repo) {
  auto files = repo.storage().list("");
  if (!files) return std::unexpected(files.error());
  uint64_t total = 0;
  for (const auto& file : *files) total += file.size;
  return total;
}

}  // namespace nb::daemon::http
