// What changed between two snapshots of a node (`nodebackupctl changes`), computed from their
// listings alone: listings are content-addressed, so a directory whose listing has the same
// blob id in both snapshots holds the same entries all the way down and is skipped without
// reading it. A one-file change between two snapshots of a large tree reads only the listings
// on the way to that file, in each snapshot.
#pragma once

#include <functional>
#include <string>

#include "repo/repository.h"

namespace nb::repo {

enum class ChangeKind {
  added,     // "+": in the second snapshot only
  removed,   // "-": in the first only
  modified,  // "M": a file's content or a symlink's target differs
  metadata,  // "U": same content, other mode, owner, mtime (a directory's mtime is not counted:
             // it changes with its entries, which are reported themselves)
  type,      // "T": file, directory or symlink in one, another type in the other
};

struct Change {
  ChangeKind kind = ChangeKind::modified;
  std::string path;
  FileType old_type = FileType::unknown;  // not for `added`
  FileType new_type = FileType::unknown;  // not for `removed`
};

struct DiffStats {
  size_t listings_read = 0;     // in either snapshot
  size_t subtrees_skipped = 0;  // directories with the same listing in both: not read
};

// Visits every change from `from` to `to`, in path order within each root (roots in the order
// `from` lists them, then those only `to` has). Below an added or removed directory every
// entry is reported too; a type change reports the old directory's entries as removed and the
// new one's as added.
Result<DiffStats> diff_snapshots(const Repository& repo, const SnapshotRecord& from,
                                 const SnapshotRecord& to,
                                 const std::function<void(const Change&)>& visit);

// "+", "-", "M", "U", "T"; and "added", "removed", "modified", "metadata", "type".
const char* change_marker(ChangeKind kind);
const char* change_name(ChangeKind kind);

}  // namespace nb::repo
