#include "nodebackupd/open_node.h"

#include "common/node_target.h"
#include "fs/local_fs.h"
#include "fs/ssh/exec_fs.h"
#include "fs/ssh/sftp_fs.h"

namespace nb {

Result<std::unique_ptr<fs::NodeFs>> open_node_fs(const config::NodeConfig& node) {
  if (node.type == config::NodeType::local) return fs::make_local_fs();
  const fs::ssh::SshTarget target = ssh_target(node);
  if (node.ssh->transport == config::Transport::exec) return fs::ssh::open_exec_fs(target);
  return fs::ssh::open_sftp_fs(target);
}

std::vector<backup::Dump> job_dumps(const config::NodeConfig& node) {
  std::vector<backup::Dump> dumps;
  for (const auto& d : node.dumps) dumps.push_back({d.name, d.command, d.timeout});
  return dumps;
}

backup::ScanRules scan_rules(const config::NodeConfig& node) {
  backup::ScanRules rules{node.exclude, node.exclude_larger_than, node.one_file_system,
                          node.exclude_if_present};
  rules.exclude.insert(rules.exclude.end(), node.exclude_from_patterns.begin(),
                       node.exclude_from_patterns.end());
  return rules;
}

}  // namespace nb
