// The commands that read the repository directly: they need only the config file.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "common/exit_codes.h"
#include "common/node_restore.h"
#include "nodebackupctl/repo_access.h"
#include "repo/browse.h"
#include "repo/repository.h"
#include "repo/restore.h"
#include "repo/verify.h"
#include "util/clock.h"
#include "util/json_text.h"

namespace nb::ctl {

int snapshots(const Invocation& inv) {
  if (inv.args.size() > 1) return usage("snapshots [NODE] [--json]");
  int code = kExitOk;
  auto repo = open_repo(inv, code);
  if (!repo) return code;
  auto list = repo->snapshots(inv.args.empty() ? std::string{} : inv.args[0]);
  if (!list) return failure(list.error());
  if (inv.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : *list) out.push_back(repo::snapshot_summary_json(r));
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  std::printf("%-24s %-12s %-20s %-7s %8s %8s %8s %8s %10s\n", "ID", "NODE", "FINISHED", "PARTIAL",
              "SCANNED", "CHANGED", "NEW", "DELETED", "STORED");
  for (const auto& r : *list) {
    std::printf("%-24s %-12s %-20s %-7s %8llu %8llu %8llu %8llu %10s\n", r.id.c_str(),
                r.node.c_str(), rfc3339(r.finished_ns).c_str(), r.partial ? "yes" : "no",
                static_cast<unsigned long long>(r.counts.scanned),
                static_cast<unsigned long long>(r.counts.changed),
                static_cast<unsigned long long>(r.counts.added),
                static_cast<unsigned long long>(r.counts.deleted),
                format_bytes(r.counts.bytes_stored).c_str());
  }
  return kExitOk;
}

namespace {

// One entry as `ls -l` shows it.
void print_entry(const std::string& path, const repo::TreeEntry& e) {
  std::printf("%s %5u:%-5u %12llu %s %s%s\n", mode_string(e).c_str(), e.uid, e.gid,
              static_cast<unsigned long long>(e.size), rfc3339(e.mtime_ns).c_str(),
              printable(path).c_str(),
              e.type == FileType::symlink ? (" -> " + printable(e.target)).c_str() : "");
}

// restore --dry-run: every entry that would be written, and the totals; nothing is written and
// no node is contacted.
int restore_dry_run(const repo::Repository& repo, const repo::SnapshotRecord& record,
                    std::vector<std::string> paths, const std::string& where) {
  if (paths.empty()) {
    for (const auto& root : record.roots) paths.push_back(root.path);
  }
  repo::RestoreReport totals;
  const auto count = [&](const std::string& path, const repo::TreeEntry& e) {
    print_entry(path, e);
    switch (e.type) {
      case FileType::regular:
        ++totals.files;
        totals.bytes += e.size;
        break;
      case FileType::directory:
        ++totals.directories;
        break;
      case FileType::symlink:
        ++totals.symlinks;
        break;
      default:
        ++totals.specials;
    }
  };
  int status = kExitOk;
  for (const auto& path : paths) {
    auto entry = repo::find_entry(repo, record, path);
    auto walked = entry ? repo::walk_entry(repo, path, *entry, count)
                        : Result<>(std::unexpected(entry.error()));
    if (!walked) {
      std::cerr << "nodebackupctl: " << walked.error().message() << "\n";
      status = kExitFailure;
    }
  }
  std::printf(
      "dry run: would restore snapshot %s of %s to %s: %llu files, %llu directories, "
      "%llu symlinks, %llu special files, %s\n",
      record.id.c_str(), record.node.c_str(), where.c_str(),
      static_cast<unsigned long long>(totals.files),
      static_cast<unsigned long long>(totals.directories),
      static_cast<unsigned long long>(totals.symlinks),
      static_cast<unsigned long long>(totals.specials), format_bytes(totals.bytes).c_str());
  return status;
}

}  // namespace

int ls(const Invocation& inv) {
  if (inv.args.size() < 2 || inv.args.size() > 3) return usage("ls NODE SNAPSHOT|latest [PATH]");
  int code = kExitOk;
  auto repo = open_repo(inv, code);
  if (!repo) return code;
  auto record = repo->find_snapshot(inv.args[0], inv.args[1]);
  if (!record) return failure(record.error());
  for (const auto& root : record->roots) {
    const std::string& start = inv.args.size() == 3 ? inv.args[2] : root.path;
    auto entry = repo::find_entry(*repo, *record, start);
    if (!entry) return failure(entry.error());
    if (auto r = repo::walk_entry(*repo, start, *entry, print_entry); !r) {
      return failure(r.error());
    }
    if (inv.args.size() == 3) break;
  }
  return kExitOk;
}

int restore(const Invocation& inv) {
  const char* const text =
      "restore NODE SNAPSHOT|latest [PATH...] (--target DIR | --to-node [--target DIR]) "
      "[--dry-run]";
  if (inv.args.size() < 2 || (inv.target.empty() && !inv.to_node)) return usage(text);
  int code = kExitOk;
  config::Config config;
  auto repo = open_repo(inv, code, &config);
  if (!repo) return code;
  const config::NodeConfig* node = inv.to_node ? config.find_node(inv.args[0]) : nullptr;
  if (inv.to_node && node == nullptr) {
    return failure(Error("restore --to-node", inv.args[0], ENOENT,
                         "not a node of the configuration, so there is nowhere to write; "
                         "restore with --target DIR"));
  }
  const auto lock = read_lock(*repo);
  auto record = repo->find_snapshot(inv.args[0], inv.args[1]);
  if (!record) return failure(record.error());
  const std::vector<std::string> paths(inv.args.begin() + 2, inv.args.end());
  const std::string target = inv.to_node && inv.target.empty() ? "/" : inv.target;
  if (inv.dry_run) {
    return inv.to_node ? restore_dry_run(*repo, *record, node_restore_paths(*record, paths),
                                         node->id + ":" + target)
                       : restore_dry_run(*repo, *record, paths, target);
  }
  NodeRestore done;
  if (inv.to_node) {
    auto restored = restore_to_node(*repo, *record, paths, *node, target);
    if (!restored) return failure(restored.error());
    done = std::move(*restored);
  } else {
    auto report = restore_here(*repo, *record, paths, target);
    if (!report) return failure(report.error());
    done = NodeRestore{std::move(*report), target};
  }
  const repo::RestoreReport& report = done.report;
  for (const auto& e : report.errors) std::cerr << "nodebackupctl: " << e.message() << "\n";
  std::printf(
      "restored snapshot %s of %s to %s: %llu files, %llu directories, %llu symlinks, %s%s\n",
      record->id.c_str(), record->node.c_str(), done.where.c_str(),
      static_cast<unsigned long long>(report.files),
      static_cast<unsigned long long>(report.directories),
      static_cast<unsigned long long>(report.symlinks), format_bytes(report.bytes).c_str(),
      report.errors.empty() ? ""
                            : (", " + std::to_string(report.errors.size()) + " errors").c_str());
  return report.errors.empty() ? kExitOk : kExitFailure;
}

int verify(const Invocation& inv) {
  const char* const text = "verify [--read-data|--fast|--read-data-subset N%]";
  if (!inv.args.empty() || (inv.fast && inv.read_data)) return usage(text);
  repo::VerifyOptions options;
  options.read_data = !inv.fast;
  if (!inv.read_data_subset.empty()) {
    int percent = 0;
    if (inv.fast || std::sscanf(inv.read_data_subset.c_str(), "%d%%", &percent) != 1 ||
        percent < 1 || percent > 100 || !inv.read_data_subset.ends_with("%")) {
      return usage(text);
    }
    options.read_data_percent = percent;
  }
  int code = kExitOk;
  auto repo = open_repo(inv, code);
  if (!repo) return code;
  const auto lock = read_lock(*repo);
  auto report = repo::verify(*repo, options);
  if (!report) return failure(report.error());
  for (const auto& p : report->problems) std::cerr << "nodebackupctl: verify: " << p << "\n";
  std::printf(
      "verify %s: %llu snapshots, %llu index files, %llu packs (%llu read), %llu blobs "
      "re-hashed, %llu referenced, %llu unindexed packs, %zu problems\n",
      report->problems.empty() ? "ok" : "FAILED",
      static_cast<unsigned long long>(report->snapshots),
      static_cast<unsigned long long>(report->index_files),
      static_cast<unsigned long long>(report->packs),
      static_cast<unsigned long long>(report->packs_read),
      static_cast<unsigned long long>(report->blobs),
      static_cast<unsigned long long>(report->references),
      static_cast<unsigned long long>(report->unindexed_packs), report->problems.size());
  return report->problems.empty() ? kExitOk : kExitFailure;
}

}  // namespace nb::ctl
