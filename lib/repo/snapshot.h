// A snapshot record: one run of one node, the roots it saw, and the counts of that run
// (DESIGN §3). Records are small and constant-size in the number of unchanged files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "repo/tree.h"
#include "util/error.h"

namespace nb::repo {

struct RunCounts {
  uint64_t scanned = 0;    // regular files seen by the walk
  uint64_t unchanged = 0;  // passed the quick check, content not read
  uint64_t touched = 0;    // read, same hash as stored
  uint64_t changed = 0;    // trusted entry, read, hash differs
  uint64_t added = 0;      // "new": no trusted entry, read
  uint64_t deleted = 0;    // in the store, gone from the node
  uint64_t skipped = 0;    // fifos, sockets, devices
  uint64_t errors = 0;     // entries that could not be read
  uint64_t bytes_read = 0;
  uint64_t bytes_stored = 0;

  bool operator==(const RunCounts&) const = default;
};

// The counts as the top-level keys DESIGN §7 names ("new" for `added`).
void counts_to_json(const RunCounts& counts, nlohmann::json& out);
RunCounts counts_from_json(const nlohmann::json& j);

// A configured path of the node and what was found there.
struct SnapshotRoot {
  std::string path;
  TreeEntry entry;  // entry.name is unused
};

// A dump (backup/dumps.h) whose command failed: left out of the snapshot, and said so here.
struct DumpFailure {
  std::string name;
  std::string error;  // why ("exit status 1"), with the end of the command's stderr
  bool operator==(const DumpFailure&) const = default;
};

struct SnapshotRecord {
  std::string id;  // sorts chronologically: 20261129T100000Z-1a2b3c
  std::string node;
  int64_t started_ns = 0;
  int64_t finished_ns = 0;
  bool partial = false;  // a checkpoint of a run that had not finished
  RunCounts counts;
  std::vector<SnapshotRoot> roots;
  std::vector<DumpFailure> failed_dumps;  // "failed_dumps" in the record, when there are any
  uint64_t stored_size = 0;  // bytes of the stored record (set when read back; not encoded)
};

std::string new_snapshot_id(int64_t now_ns);

std::string encode_snapshot(const SnapshotRecord& record);
Result<SnapshotRecord> decode_snapshot(std::string_view data, const std::string& what);

// The listing form of `snapshots --json`: id, node, started, finished, partial, counts, and
// failed_dumps when a dump failed.
nlohmann::json snapshot_summary_json(const SnapshotRecord& record);

}  // namespace nb::repo
