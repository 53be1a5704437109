// One node's entries in the hash store: path → what the file held when it was last read.
//
// A node can have a million files, and the daemon holds every node's entries for its life, so
// this is a flat map rather than std::unordered_map (one allocation per entry and another per
// path, ~190 B each and most of a large store's load time in malloc and rehashing): paths live
// in arena blocks, entries in one array, and an open-addressing table of indices (linear
// probing, backward-shift erase, so no tombstones) finds them. Copying it, as the store's
// copy-on-write does, rebuilds it compactly.
//
// Its interface is the subset of std::unordered_map the project uses; a const NodeEntries may
// be read from any number of threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "util/hash.h"
#include "util/huge_page_allocator.h"
#include "util/sentinel_optional.h"
#include "util/string_arena.h"

namespace nb::store {

struct Entry {
  Hash hash;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  // Present where the node's filesystem gives them.
  SentinelOptional<int64_t, INT64_MIN> ctime_ns;
  SentinelOptional<uint64_t, UINT64_MAX> inode;
  // Written back but never trusted by the quick check: the file's mtime was within one
  // timestamp tick of when it was read, so a later write could hide in the same tick.
  bool racy = false;
  // False for values that are not a hash we computed ("MISSING", legacy stores): such an
  // entry counts as absent and its file is read next run.
  bool trusted = true;

  bool operator==(const Entry&) const = default;
};

class NodeEntries {
 public:
  // `first` points into the map's arena: valid while the map lives and is not changed.
  struct Item {
    std::string_view first;
    Entry second;
  };
  using const_iterator = const Item*;

  NodeEntries() = default;
  NodeEntries(const NodeEntries& other);
  NodeEntries& operator=(const NodeEntries& other);
  NodeEntries(NodeEntries&& other) noexcept;
  NodeEntries& operator=(NodeEntries&& other) noexcept;

  size_t size() const { return items_.size(); }
  // How many entries are not trusted (Entry::trusted false), kept as entries change.
  size_t untrusted() const { return untrusted_; }
  bool empty() const { return items_.empty(); }
  const_iterator begin() const { return items_.data(); }
  const_iterator end() const { return items_.data() + items_.size(); }

  const_iterator find(std::string_view path) const;
  bool contains(std::string_view path) const { return find(path) != end(); }
  // Throws std::out_of_range when absent, as std::unordered_map::at does.
  const Entry& at(std::string_view path) const;

  void insert_or_assign(std::string_view path, const Entry& entry);
  // Returns how many entries it removed (0 or 1).
  size_t erase(std::string_view path);
  void reserve(size_t entries);
  // Room for about `entries` without moving the entries array, which costs only address space
  // until used: the loader's guess from the file's size, which may be high.
  void expect(size_t entries) { items_.reserve(entries); }

  // Same paths with equal entries, in any order.
  bool operator==(const NodeEntries& other) const;

 private:
  static uint64_t hash_of(std::string_view path);
  // The slot holding `path`, or the empty slot where it would go.
  size_t probe(std::string_view path, uint64_t hash) const;
  // The table is addressed by the hash's high 32 bits, which the slot keeps: growing the table
  // moves slots without touching a single item.
  static uint64_t slot_of(uint64_t hash, size_t index) { return (hash >> 32) << 32 | (index + 1); }
  static size_t index_of(uint64_t slot) { return (slot & 0xffffffff) - 1; }
  static size_t home_of(uint64_t hash_or_slot) { return hash_or_slot >> 32; }
  void grow_table(size_t min_slots);

  // A slot: 0 when empty, else the path's hash's high 32 bits over 1 + the item's index, so
  // that a probe touches an item only when those bits agree. Sized a power of two, at most
  // 75 % full. (Hence at most 2^32 - 1 entries per node.)
  std::vector<uint64_t, HugePageAllocator<uint64_t>> slots_;
  std::vector<Item, HugePageAllocator<Item>> items_;
  // Path bytes, in blocks that never move, so items' views stay valid as the map grows.
  StringArena paths_{size_t{2} << 20};
  size_t untrusted_ = 0;
};

}  // namespace nb::store
