// Restoring a snapshot back onto its node (`nodebackupctl restore --to-node`): a local node is
// restored by this machine's own restore, an exec node by an archive its GNU tar writes under
// the same safety rules (fs/ssh/extract_on_node.h). SFTP cannot write what a snapshot holds
// (hard links, extended attributes, special files) nor enter a directory without following a
// symlink there, so an SFTP node is refused with a way out.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "repo/restore.h"
#include "util/subprocess.h"

namespace nb {

struct NodeRestore {
  repo::RestoreReport report;  // its errors include what the node reported
  std::string where;           // "02_node (backup@host:22):/srv" for messages
};

// The lines the node's restore script said (fs/ssh/extract_on_node.h): those after its
// "start" (what a login shell's start-up files print comes before), its "end STATUS" left out;
// an error when it did not get to its end. Bytes from the node: never throws.
Result<std::vector<std::string>> restore_script_lines(const std::string& output,
                                                      const std::string& where,
                                                      const CommandOutcome& outcome);

// What a restore onto the node writes: `paths`, or else every root of the snapshot but the
// dumps' (kDumpRoot: a dump is restored onto the node only when asked for by its path).
std::vector<std::string> node_restore_paths(const repo::SnapshotRecord& record,
                                            const std::vector<std::string>& paths);

// A restore on this machine, below `target`, with ownership when run as root.
Result<repo::RestoreReport> restore_here(const repo::Repository& repo,
                                         const repo::SnapshotRecord& record,
                                         const std::vector<std::string>& paths,
                                         const std::string& target);

// `target` is a directory on the node ("/" restores the node itself). Fails only when nothing
// could be restored (the node unreachable, the target unusable, the archive cut short).
Result<NodeRestore> restore_to_node(const repo::Repository& repo,
                                    const repo::SnapshotRecord& record,
                                    const std::vector<std::string>& paths,
                                    const config::NodeConfig& node, const std::string& target);

}  // namespace nb
