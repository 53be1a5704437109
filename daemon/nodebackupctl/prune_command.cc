// nodebackupctl prune: applies the configured retention to the repository directly (with or
// without a daemon; it waits for running backups, which hold the repository lock shared).
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "common/exit_codes.h"
#include "common/retention_config.h"
#include "nodebackupctl/repo_access.h"
#include "repo/prune.h"
#include "util/clock.h"

namespace nb::ctl {

namespace {

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

nlohmann::json report_json(const repo::PruneReport& r) {
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& node : r.nodes) {
    nlohmann::json snapshots = nlohmann::json::array();
    for (const auto& s : node.snapshots) {
      snapshots.push_back({{"id", s.id},
                           {"finished", rfc3339(s.finished_ns)},
                           {"partial", s.partial},
                           {"keep", s.keep},
                           {"reasons", s.reasons}});
    }
    nodes.push_back({{"node", node.node}, {"snapshots", std::move(snapshots)}});
  }
  return {{"dry_run", r.dry_run},
          {"nodes", std::move(nodes)},
          {"snapshots_kept", r.snapshots_kept},
          {"snapshots_removed", r.snapshots_removed},
          {"objects_kept", r.objects_kept},
          {"objects_removed", r.objects_removed},
          {"temps_removed", r.temps_removed},
          {"bytes_freed", r.bytes_freed}};
}

void print_text(const repo::PruneReport& r) {
  const char* go = r.dry_run ? "would remove" : "removed";
  for (const auto& node : r.nodes) {
    std::printf("%s:\n", node.node.c_str());
    for (const auto& s : node.snapshots) {
      std::printf("  %-12s %-24s %s%s  %s\n", s.keep ? "keep" : go, s.id.c_str(),
                  rfc3339(s.finished_ns).c_str(), s.partial ? " partial" : "",
                  joined(s.reasons).c_str());
    }
  }
  std::printf("%s\n", repo::prune_summary(r).c_str());
}

}  // namespace

int prune(const Invocation& inv) {
  if (!inv.args.empty()) return usage("prune [--node ID] [--dry-run] [--json]");
  int code = kExitOk;
  config::Config config;
  auto repo = open_repo(inv, code, &config);
  if (!repo) return code;
  if (!inv.node.empty() && config.find_node(inv.node) == nullptr) {
    std::cerr << "nodebackupctl: no node \"" << inv.node << "\" in " << config.source << "\n";
    return kExitUsage;
  }
  const repo::PruneOptions options{.node = inv.node, .dry_run = inv.dry_run};
  auto report = repo::prune(*repo, retention_policies(config), options);
  if (!report) return failure(report.error());
  if (inv.json) {
    std::cout << report_json(*report).dump(2) << "\n";
  } else {
    print_text(*report);
  }
  return kExitOk;
}

}  // namespace nb::ctl
