// The "exec" transport for nodes whose account has a shell: the walk is one GNU find stream
// (nanosecond mtime and ctime, inode: the full quick check), contents come as one tar stream
// for many files, and each read is followed by one batched re-stat, so a file that changed
// while it was read is detected as locally. No per-file round trips. Falls back to SFTP when
// the node lacks GNU find or tar.
#pragma once

#include <memory>

#include "fs/node_fs.h"
#include "fs/ssh/ssh_connection.h"

namespace nb::fs::ssh {

Result<std::unique_ptr<NodeFs>> open_exec_fs(const SshTarget& target);

}  // namespace nb::fs::ssh
