// HashStore: what the daemon believes each node's files contain, so an unchanged file is never
// read again. It is a cache of what the repository holds: losing it costs I/O, never data.
// Thread-safe: jobs of different nodes read and write back concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/node_entries.h"
#include "util/error.h"

namespace nb::store {

// The outcome of a committed job, applied in one step. The updates' paths are views: a job
// holds every path of its node already (its walk), and a copy per file was the largest part of
// an initial run's memory after the pack. They must stay valid for the write_back() call only.
struct WriteBack {
  std::vector<std::pair<std::string_view, Entry>> updates;
  std::vector<std::string> removals;
};

struct StoreStats {
  size_t entries = 0;
  size_t untrusted = 0;
  bool dirty = false;
  int64_t last_snapshot_ns = 0;  // of the snapshot on disk; 0: none
};

// What load() found, for the log: which file it used and what it could not use.
struct LoadReport {
  std::string source;  // the file loaded, or empty when starting empty
  size_t legacy_values = 0;
  std::vector<std::string> warnings;
};

class HashStore {
 public:
  static constexpr const char* kFileName = "file_hashes.json";
  static constexpr const char* kPreviousSuffix = ".prev";

  HashStore() = default;
  // Waits for a load_async() still reading: its thread writes the members being destroyed.
  ~HashStore();
  HashStore(const HashStore&) = delete;
  HashStore& operator=(const HashStore&) = delete;

  // Replaces the contents with `<state_dir>/file_hashes.json`, falling back to the previous
  // snapshot, else empty. Never fails: a store that cannot be read is a cache miss.
  LoadReport load(const std::string& state_dir);
  // The same, on another thread: every other call waits for it to finish. A one-shot run
  // (--run-once) walks the node on one core while the store is parsed on the other.
  std::shared_future<LoadReport> load_async(const std::string& state_dir);

  // Writes a durable snapshot if anything changed since the last one; returns whether it wrote.
  // The file it replaces is kept as the fallback.
  Result<bool> save(const std::string& state_dir);

  // One node's entries as they are now, for a job to diff against without holding the lock.
  // Immutable: write_back() replaces the map instead of changing it (copy on write), so a
  // no-change run never copies 100,000 entries.
  std::shared_ptr<const NodeEntries> entries(const std::string& node) const;
  // The same without waiting: nullptr while load_async() is still reading the file.
  std::shared_ptr<const NodeEntries> entries_if_loaded(const std::string& node) const;

  void write_back(const std::string& node, const WriteBack& changes);

  StoreStats stats() const;

  // Runs inside save(), after the entries were copied and before the file is written: where a
  // test puts the write-back that must not be lost.
  void set_save_hook(std::function<void()> hook) { save_hook_ = std::move(hook); }
  // A node's untrusted entries (for alarms): how many, and the paths of at most `limit`.
  struct Untrusted {
    size_t count = 0;
    std::vector<std::string> examples;
  };
  Untrusted untrusted(const std::string& node, size_t limit) const;

  // Serialisation, exposed for tests and the loader's fallback logic.
  std::string to_json() const;
  using NodeMap = std::unordered_map<std::string, std::shared_ptr<const NodeEntries>>;
  static std::string to_json(const NodeMap& nodes);
  // The same text in pieces of about 1 MiB, each passed to `sink` (what save() writes).
  static Result<> write_json(const NodeMap& nodes,
                             const std::function<Result<>(std::string_view)>& sink);
  Result<> from_json(std::string_view text, const std::string& source, LoadReport& report);
  // The same from a file, streamed (store_reader.h).
  Result<> from_file(const std::string& path, LoadReport& report);

 private:
  // Takes what a reader loaded as the whole contents.
  void adopt(std::unordered_map<std::string, NodeEntries> loaded, const std::string& source,
             LoadReport& report);
  LoadReport read_snapshot(const std::string& state_dir);
  void wait_loaded() const;
  StoreStats stats_unlocked() const;  // does not wait for a load in progress
  // Replaces every node's entries (a load), recounting what stats() reports.
  void replace_all_unlocked(NodeMap nodes);
  bool dirty_unlocked() const { return generation_ != saved_generation_; }

  mutable std::mutex mutex_;
  std::shared_future<LoadReport> loading_;
  NodeMap nodes_;
  // Every change bumps generation_; a save records the generation it serialised, under the
  // same lock as the copy, so a write-back that lands while the file is being written keeps
  // the store dirty and reaches the next save.
  uint64_t generation_ = 0;
  uint64_t saved_generation_ = 0;
  // Kept current by write_back() and loads, so stats() costs O(1), not a walk of the store.
  size_t entries_total_ = 0;
  size_t untrusted_total_ = 0;
  std::unordered_map<std::string, size_t> untrusted_by_node_;
  int64_t last_snapshot_ns_ = 0;
  std::function<void()> save_hook_;
};

}  // namespace nb::store
