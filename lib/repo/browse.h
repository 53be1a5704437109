// Reading snapshots back: finding the entry at an absolute path, and walking what lies below.
#pragma once

#include <functional>
#include <string>

#include "repo/repository.h"

namespace nb::repo {

// Splits an absolute path into its components; fails on "..", "." or empty components, so
// every path a snapshot hands out is one restore may create.
Result<std::vector<std::string>> path_components(const std::string& path);

// The entry at `path` in `record` (a root, or anything below one), named by its last component.
Result<TreeEntry> find_entry(const Repository& repo, const SnapshotRecord& record,
                             const std::string& path);

// Visits `entry` (at `path`) and everything below it, parents first.
using EntryVisitor = std::function<void(const std::string& path, const TreeEntry& entry)>;
Result<> walk_entry(const Repository& repo, const std::string& path, const TreeEntry& entry,
                    const EntryVisitor& visit);

Result<Tree> load_tree(const Repository& repo, const BlobId& id);

}  // namespace nb::repo
