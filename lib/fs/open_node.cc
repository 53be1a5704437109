#include "fs/open_node.h"

#include <spdlog/spdlog.h>

#include "fs/local_fs.h"
#include "fs/ssh/sftp_fs.h"

namespace nb::fs {

Result<std::unique_ptr<NodeFs>> open_node_fs(const config::NodeConfig& node) {
  if (node.type == config::NodeType::local) return make_local_fs();
  const auto& s = *node.ssh;
  if (s.transport == config::Transport::exec) {
    spdlog::warn("{}: transport \"exec\" is not built yet; using sftp", node.id);
  }
  return ssh::open_sftp_fs({.node_id = node.id,
                            .host = s.host,
                            .port = s.port,
                            .user = s.user,
                            .identity_file = s.identity_file,
                            .known_hosts = s.known_hosts,
                            .accept_new = s.host_key_policy == config::HostKeyPolicy::accept_new});
}

}  // namespace nb::fs
