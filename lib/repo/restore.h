// Restore: puts each entry of a snapshot at <target>/<absolute path on the node> (as tar and
// restic do). It never writes outside the target: every name is checked, every directory is
// opened relative to its parent without following symlinks, and anything already in the
// target where the snapshot has an entry (a symlink, a file, a directory) is replaced, never
// followed.
#pragma once

#include <string>
#include <vector>

#include "repo/repository.h"

namespace nb::repo {

struct RestoreOptions {
  bool ownership = false;  // chown to the recorded uid/gid (needs root)
};

// What is restored besides content, mode and mtime: extended attributes (ACLs and file
// capabilities among them; `trusted.*`, `security.*` and device nodes need root), hard links
// between the paths of one recorded inode that this restore writes, holes of sparse files,
// fifos and device nodes. What cannot be applied is reported per entry, and the rest of the
// entry is restored.
struct RestoreReport {
  uint64_t files = 0;
  uint64_t directories = 0;
  uint64_t symlinks = 0;
  uint64_t specials = 0;   // fifos and device nodes
  uint64_t hardlinks = 0;  // files restored as a link to one restored before
  uint64_t bytes = 0;
  std::vector<Error> errors;  // entries that could not be restored; the rest was
};

// Restores `paths` (absolute paths in the snapshot; all roots when empty) below `target`.
// Fails only when the target itself cannot be used.
Result<RestoreReport> restore(const Repository& repo, const SnapshotRecord& record,
                              const std::vector<std::string>& paths, const std::string& target,
                              const RestoreOptions& options);

}  // namespace nb::repo
