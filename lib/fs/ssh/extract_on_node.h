// Writing a tree onto a node (restore --to-node): the node's GNU tar extracts an archive this
// side sends into a fresh private directory beside the target's contents, then a script puts
// each entry in place with the safety rules of a local restore (repo/restore.h):
//  - never through a symlink found on the node: it enters each existing directory by a name
//    relative to one it already entered, checking that the directory it arrived in is the one
//    it looked at (device and inode), and renames entries in by name, which replaces a symlink
//    at that name instead of following it;
//  - temp then rename: nothing in the target changes before the whole archive has arrived and
//    every file in it is whole on the node's disk, and each entry appears by rename(2) (where a
//    directory of the target is another filesystem, its entries are staged again on it);
//  - the staging directory is held open and reached through /proc/self/fd only, so a local
//    user who renames it or plants a symlink at its name redirects nothing;
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

// The archive ends with three control members at its root, named CONTROL.discard (members to
// delete before anything is put in place, NUL-separated), CONTROL.files (every regular file as
// "SIZE PATH", NUL-terminated, sorted bytewise: what the stage must hold) and CONTROL, last,
// holding "complete": proof that the whole archive arrived.
struct ExtractRequest {
  std::string target;   // a directory on the node ("/" for the node itself); made if missing
  std::string control;  // the control members' name: random per restore
};

// The script's output (stdout and stderr together) has a line "nodebackup restore: start"
// before its own lines and "nodebackup restore: end STATUS" after them. Exit status 0:
// everything was put in place; 1: some entries were not, or lack an attribute (the lines say
// which); 3: the target cannot be used; 4: the archive did not arrive whole, or the node could
// not store all of it: nothing was changed.
Result<CommandOutcome> extract_on_node(SshConnection& c, const ExtractRequest& request,
                                       const std::function<Result<>(const OutputSink&)>& produce);

}  // namespace nb::fs::ssh
