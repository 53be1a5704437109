// What the node's newest snapshot says about each regular file: its XXH3 and its chunks.
//
// This is how format 2 keeps "an unchanged file's content is not read": the hash store holds
// only the XXH3 (the change-detection hash), while a snapshot entry needs the file's chunk
// list. A file that passes the quick check takes its chunk list from the newest snapshot of
// its own node, by path, when that entry has the same XXH3 and every chunk is in the index;
// otherwise the file is read. Taking it by path from the node's own snapshot (not from an
// XXH3 → chunks map shared by all nodes) means a node that crafts an XXH3 collision can only
// ever point its own entries at its own content.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "repo/repository.h"
#include "util/hash.h"

namespace nb::backup {

struct PriorFile {
  Hash xxh3;
  std::vector<repo::BlobId> content;
};
using PriorFiles = std::unordered_map<std::string, PriorFile>;

// From the newest snapshot of `node`, partial or not (a checkpoint's write-back points at
// it). Empty when the node has none. Listings that cannot be read leave their files out:
// those files are then read again, which costs I/O, never correctness.
PriorFiles load_prior_files(const repo::Repository& repo, const std::string& node);

}  // namespace nb::backup
