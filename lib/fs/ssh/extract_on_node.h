// Writing a tree onto a node (restore --to-node): the node's GNU tar extracts an archive this
// side sends into a fresh private directory beside the target's contents, then a script puts
// each entry in place with the safety rules of a local restore (repo/restore.h):
//  - never through a symlink found on the node: it enters each existing directory by a name
//    relative to one it already entered, checking that the directory it arrived in is the one
//    it looked at (device and inode), and renames entries in by name, which replaces a symlink
//    at that name instead of following it;
//  - temp then rename: nothing in the target changes before the whole archive has arrived, and
//    each entry appears by rename(2) (copied by mv where the target below is another
//    filesystem);
//  - never outside the target: the archive's names are relative and checked by its writer, and
//    tar refuses ".." and absolute names besides.
// It needs what the exec transport needs (GNU tar, find's coreutils) and, for the extended
// attributes of directories that already exist on the node, getfattr and setfattr.
#pragma once

#include <functional>
#include <string>

#include "fs/ssh/ssh_connection.h"
#include "util/subprocess.h"

namespace nb::fs::ssh {

// The last member the archive must hold, at its root: proof that it arrived whole. Its content
// is the NUL-separated list of members to delete before anything is put in place.
struct ExtractRequest {
  std::string target;     // a directory on the node ("/" for the node itself); made if missing
  std::string done_name;  // the proof member's name: random per restore
};

// Exit status 0: everything was put in place; 1: some entries were not (the output says which);
// 3: the target cannot be used; 4: the archive did not arrive whole, nothing was changed.
Result<CommandOutcome> extract_on_node(SshConnection& c, const ExtractRequest& request,
                                       const std::function<Result<>(const OutputSink&)>& produce);

}  // namespace nb::fs::ssh
