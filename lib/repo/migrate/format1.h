// Reading a repository of format 1 (nodebackup 0.1.0), for migrate only: one file per object
// under objects/<2 hex>/<32 hex> named by the XXH3-128 of its content (file contents, and
// listings as JSON), and records at snapshots/<node>/<id>.json. Read through Storage like
// everything else.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "repo/snapshot.h"
#include "repo/storage/storage.h"
#include "util/hash.h"

namespace nb::repo::format1 {

// A format-1 entry: as a format-2 TreeEntry without ids, plus the object it names (the file's
// content, or the directory's listing).
struct Entry {
  TreeEntry meta;
  Hash object;
};

struct Record {
  SnapshotRecord meta;  // roots' entries without ids
  std::vector<std::pair<std::string, Entry>> roots;
  std::string name;  // the record's storage name
};

std::string object_name(const Hash& hash);

// Every record, oldest first.
Result<std::vector<Record>> read_records(const Storage& storage);
Result<std::vector<Entry>> read_listing(const Storage& storage, const Hash& hash);
// Object name → size, for streaming contents in slices.
Result<std::map<std::string, uint64_t>> object_sizes(const Storage& storage);

}  // namespace nb::repo::format1
