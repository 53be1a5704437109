#include "nodebackupd/open_node.h"

#include "fs/local_fs.h"
#include "fs/ssh/exec_fs.h"
#include "fs/ssh/sftp_fs.h"

namespace nb {

Result<std::unique_ptr<fs::NodeFs>> open_node_fs(const config::NodeConfig& node) {
  if (node.type == config::NodeType::local) return fs::make_local_fs();
  const auto& s = *node.ssh;
  const fs::ssh::SshTarget target{
      .node_id = node.id,
      .host = s.host,
      .port = s.port,
      .user = s.user,
      .identity_file = s.identity_file,
      .known_hosts = s.known_hosts,
      .accept_new = s.host_key_policy == config::HostKeyPolicy::accept_new};
  if (s.transport == config::Transport::exec) return fs::ssh::open_exec_fs(target);
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
