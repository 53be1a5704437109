// The SSH target an ssh node's configuration names: how both programs reach a node (the daemon
// to back it up, nodebackupctl to restore onto it).
#pragma once

#include "config/config.h"
#include "fs/ssh/ssh_connection.h"

namespace nb {

// `node` must be an ssh node.
fs::ssh::SshTarget ssh_target(const config::NodeConfig& node);

}  // namespace nb
