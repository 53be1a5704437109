#include "common/node_target.h"

namespace nb {

fs::ssh::SshTarget ssh_target(const config::NodeConfig& node) {
  const auto& s = *node.ssh;
  return fs::ssh::SshTarget{.node_id = node.id,
                            .host = s.host,
                            .port = s.port,
                            .user = s.user,
                            .identity_file = s.identity_file,
                            .known_hosts = s.known_hosts,
                            .accept_new = s.host_key_policy == config::HostKeyPolicy::accept_new};
}

}  // namespace nb
