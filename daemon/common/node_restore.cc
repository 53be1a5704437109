#include "common/node_restore.h"

#include <unistd.h>

#include <cstdio>
#include <random>
#include <sstream>

#include "common/node_target.h"
#include "fs/ssh/extract_on_node.h"
#include "repo/restore_archive.h"
#include "util/file.h"

namespace nb {

namespace {

// The control members' name: random, so that no entry of a snapshot can be taken for one.
std::string control_name() {
  std::random_device random;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%08x%08x", random(), random());
  return ".nbrestore-control-" + std::string(hex);
}

}  // namespace

Result<std::vector<std::string>> restore_script_lines(const std::string& output,
                                                      const std::string& where,
                                                      const CommandOutcome& outcome) {
  constexpr std::string_view kStart = "nodebackup restore: start\n";
  constexpr std::string_view kEnd = "nodebackup restore: end ";
  const auto start = output.find(kStart);
  std::vector<std::string> lines;
  bool ended = false;
  std::istringstream in(start == std::string::npos ? output : output.substr(start + kStart.size()));
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(kEnd)) {
      ended = true;
    } else if (!line.empty()) {
      lines.push_back(line);
    }
  }
  if (start == std::string::npos ||
      (!ended && (outcome.exit_code == 0 || outcome.exit_code == 1))) {
    std::string said = output.substr(0, 2000);
    if (said.size() < output.size()) said.append("...");
    return fail("restore on node", where, 0,
                "the node's script did not run to its end (" + outcome.describe() + "): " + said);
  }
  return lines;
}

namespace {

Result<NodeRestore> restore_over_ssh(const repo::Repository& repo,
                                     const repo::SnapshotRecord& record,
                                     const std::vector<std::string>& paths,
                                     const config::NodeConfig& node, const std::string& target) {
  auto connection = fs::ssh::SshConnection::open(ssh_target(node));
  if (!connection) return std::unexpected(connection.error());
  NodeRestore out;
  out.where = (*connection)->where() + ":" + target;
  const fs::ssh::ExtractRequest request{target, control_name()};
  auto outcome =
      fs::ssh::extract_on_node(**connection, request, [&](const OutputSink& write) -> Result<> {
        auto archive = repo::write_restore_archive(repo, record, paths, request.control, write);
        if (!archive) return std::unexpected(archive.error());
        out.report = std::move(archive->restore);
        return {};
      });
  if (!outcome) return std::unexpected(outcome.error());
  auto lines = restore_script_lines(outcome->output, out.where, *outcome);
  if (!lines) return std::unexpected(lines.error());
  if (outcome->exit_code != 0 && outcome->exit_code != 1) {
    std::string said;
    for (const auto& line : *lines) said += (said.empty() ? "" : "; ") + line;
    return fail("restore on node", out.where, 0, outcome->describe() + ": " + said);
  }
  // What the node's tar and the script reported, a line each: entries not put in place, or
  // put in place without an attribute.
  for (const auto& line : *lines) {
    out.report.errors.push_back(Error("restore on node", out.where, 0, line));
  }
  if (outcome->exit_code != 0 && out.report.errors.empty()) {
    out.report.errors.push_back(Error("restore on node", out.where, 0, outcome->describe()));
  }
  return out;
}

}  // namespace

Result<repo::RestoreReport> restore_here(const repo::Repository& repo,
                                         const repo::SnapshotRecord& record,
                                         const std::vector<std::string>& paths,
                                         const std::string& target) {
  repo::RestoreOptions options;
  options.ownership = ::geteuid() == 0;
  return repo::restore(repo, record, paths, target, options);
}

std::vector<std::string> node_restore_paths(const repo::SnapshotRecord& record,
                                            const std::vector<std::string>& paths) {
  if (!paths.empty()) return paths;
  std::vector<std::string> roots;
  for (const auto& root : record.roots) {
    if (root.path != config::kDumpRoot) roots.push_back(root.path);
  }
  return roots;
}

Result<NodeRestore> restore_to_node(const repo::Repository& repo,
                                    const repo::SnapshotRecord& record,
                                    const std::vector<std::string>& requested,
                                    const config::NodeConfig& node, const std::string& target) {
  if (!target.starts_with('/')) {
    return fail("restore --to-node", target, EINVAL,
                "the target on the node must be an absolute path");
  }
  const std::vector<std::string> paths = node_restore_paths(record, requested);
  if (paths.empty()) return fail("restore --to-node", node.id, ENOENT, "nothing to restore");
  if (node.type == config::NodeType::local) {
    auto report = restore_here(repo, record, paths, target);
    if (!report) return std::unexpected(report.error());
    return NodeRestore{std::move(*report), node.id + ":" + target};
  }
  if (node.ssh->transport != config::Transport::exec) {
    return fail("restore --to-node", node.id, ENOTSUP,
                "its transport (sftp) cannot write hard links, extended attributes or special "
                "files, nor enter a directory without following a symlink there; restore with "
                "--target DIR on this machine and copy the tree over, or give the node "
                "\"transport\": \"exec\"");
  }
  return restore_over_ssh(repo, record, paths, node, target);
}

}  // namespace nb
