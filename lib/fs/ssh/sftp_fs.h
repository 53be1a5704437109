// A node reached over SSH: SftpFs walks with SFTP directory listings (attributes included,
// many directories in flight: sftp_walker.h) and reads through two more connections, each
// keeping dozens of files in flight (sftp_reader.h), so round trips overlap instead of adding
// up.
#pragma once

#include <memory>

#include "fs/node_fs.h"
#include "fs/ssh/ssh_connection.h"

namespace nb::fs::ssh {

// Connects at once, so an unreachable node or a refused key fails here, with its cause.
Result<std::unique_ptr<NodeFs>> open_sftp_fs(const SshTarget& target);

}  // namespace nb::fs::ssh
