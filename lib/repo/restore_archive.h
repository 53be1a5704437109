// A snapshot's entries as a POSIX (pax) tar archive, for a restore that the node's own GNU tar
// writes (`restore --to-node`). GNU tar reads back everything a listing records: extended
// attributes (ACLs and file capabilities among them) as SCHILY.xattr records, hard links as
// link members, holes as a GNU sparse map, fifos and device nodes, numeric owners.
//
// Member names are relative: the archive's root is the restore's target. Every directory above
// a restored path is a member too, so the node's tar never creates a directory the archive does
// not describe. One the snapshot does not describe (above a root such as /srv/www) is a member
// with mode 0700 and mtime 0, which the node's side takes as "keep what is there".
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "repo/restore.h"

namespace nb::repo {

struct ArchiveReport {
  RestoreReport restore;  // what the archive holds, and the entries left out
  // Members whose content failed verification after their header was written (a corrupt
  // chunk found half-way): written out as zeros to keep the archive whole, and to be deleted
  // on the node before anything is put in place.
  std::vector<std::string> discard;
};

// Undescribed directories above a restored path carry this mtime.
inline constexpr int64_t kUndescribedMtime = 0;

// Writes the archive of `paths` (absolute paths in the snapshot; all roots when empty) to
// `out`, which receives whole 10 KiB tar records. Entries that cannot be archived (an unsafe
// name, missing content) are left out and reported; fails only when `out` fails. With
// `control`, the archive ends with the control members fs/ssh/extract_on_node.h describes
// (the discard list, the regular files and their sizes, the proof), and no entry of the
// snapshot may take a name at the root that starts with it.
Result<ArchiveReport> write_restore_archive(const Repository& repo, const SnapshotRecord& record,
                                            const std::vector<std::string>& paths,
                                            const std::string& control,
                                            const std::function<Result<>(std::string_view)>& out);

}  // namespace nb::repo
