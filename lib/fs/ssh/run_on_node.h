// A node's hook (or dump) run over the node's own SSH connection, on an exec channel beside the
// ones the backup uses: the command line goes to the remote user's shell, with the variables set
// and wrapped in the node's `timeout` (coreutils or busybox), so a hook that hangs is killed
// on the node, not only abandoned by us.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "fs/ssh/ssh_connection.h"
#include "util/subprocess.h"

namespace nb::fs::ssh {

// `env` is NAME=value; names must be [A-Za-z_][A-Za-z0-9_]*. stdout and stderr are captured
// together (capped); exit status 124 (timeout's) counts as timed out.
Result<CommandOutcome> run_on_node(SshConnection& c, const std::string& command,
                                   const std::vector<std::string>& env,
                                   std::chrono::seconds timeout);

// A dump: the command's stdout handed to `out` as it arrives (the channel's window bounds what
// is in flight), its stderr captured (capped) in the outcome. An error from `out` closes the
// channel, which ends the command on the node, and is returned; so does `cancelled` (may be
// empty) turning true, with ECANCELED.
Result<CommandOutcome> stream_on_node(SshConnection& c, const std::string& command,
                                      std::chrono::seconds timeout, const OutputSink& out,
                                      const std::function<bool()>& cancelled);

// A command whose standard input this side writes as it goes (restore --to-node: an archive
// into the node's tar): `produce` is called with a writer that blocks while the channel's
// window is full, reading the command's stdout and stderr meanwhile (together, capped, into the
// outcome), so a command that reports much cannot stall it. A writer error (the command ended
// before reading everything, the link broke) ends `produce`'s work and is returned. Then the
// input is closed and the command waited for (given up after an hour without a word from it).
// `command` goes to the remote shell as it is.
Result<CommandOutcome> feed_on_node(
    SshConnection& c, const std::string& command,
    const std::function<Result<>(const OutputSink& write)>& produce);

// The line sent to the remote shell.
std::string hook_command_line(const std::string& command, const std::vector<std::string>& env,
                              std::chrono::seconds timeout);

}  // namespace nb::fs::ssh
