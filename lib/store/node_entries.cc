#include "store/node_entries.h"

#include <xxhash.h>

#include <cstring>
#include <stdexcept>
#include <utility>

namespace nb::store {

namespace {

constexpr size_t kMinSlots = 16;

}  // namespace

NodeEntries::NodeEntries(const NodeEntries& other) {
  reserve(other.size());
  for (const auto& [path, entry] : other) insert_or_assign(path, entry);
}

NodeEntries& NodeEntries::operator=(const NodeEntries& other) {
  if (this != &other) *this = NodeEntries(other);
  return *this;
}

// A moved-from map is empty and usable: its arena cursor must not point into moved blocks.
NodeEntries::NodeEntries(NodeEntries&& other) noexcept {
  *this = std::move(other);
}

NodeEntries& NodeEntries::operator=(NodeEntries&& other) noexcept {
  if (this == &other) return *this;
  slots_ = std::exchange(other.slots_, {});
  items_ = std::exchange(other.items_, {});
  paths_ = std::move(other.paths_);
  untrusted_ = std::exchange(other.untrusted_, 0);
  return *this;
}

uint64_t NodeEntries::hash_of(std::string_view path) {
  return XXH3_64bits(path.data(), path.size());
}

size_t NodeEntries::probe(std::string_view path, uint64_t hash) const {
  const size_t mask = slots_.size() - 1;
  const uint64_t tag = hash >> 32;
  for (size_t i = home_of(hash) & mask;; i = (i + 1) & mask) {
    const uint64_t slot = slots_[i];
    if (slot == 0 || ((slot >> 32) == tag && items_[index_of(slot)].first == path)) return i;
  }
}

NodeEntries::const_iterator NodeEntries::find(std::string_view path) const {
  if (items_.empty()) return end();
  const uint64_t slot = slots_[probe(path, hash_of(path))];
  return slot == 0 ? end() : items_.data() + index_of(slot);
}

const Entry& NodeEntries::at(std::string_view path) const {
  const auto it = find(path);
  if (it == end()) throw std::out_of_range("no hash store entry for this path");
  return it->second;
}

void NodeEntries::reserve(size_t entries) {
  items_.reserve(entries);
  // At most 75 % full once `entries` are in.
  size_t want = kMinSlots;
  while (want * 3 < entries * 4) want *= 2;
  if (want > slots_.size()) grow_table(want);
}

void NodeEntries::grow_table(size_t slots) {
  decltype(slots_) old(slots, 0);
  old.swap(slots_);
  const size_t mask = slots - 1;
  for (const uint64_t slot : old) {
    if (slot == 0) continue;
    size_t i = home_of(slot) & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

void NodeEntries::insert_or_assign(std::string_view path, const Entry& entry) {
  if ((items_.size() + 1) * 4 > slots_.size() * 3) {
    grow_table(std::max(kMinSlots, slots_.size() * 2));
  }
  const uint64_t hash = hash_of(path);
  const size_t i = probe(path, hash);
  untrusted_ += entry.trusted ? 0 : 1;
  if (slots_[i] != 0) {
    Entry& old = items_[index_of(slots_[i])].second;
    untrusted_ -= old.trusted ? 0 : 1;
    old = entry;
    return;
  }
  items_.push_back({paths_.keep(path), entry});
  slots_[i] = slot_of(hash, items_.size() - 1);
}

size_t NodeEntries::erase(std::string_view path) {
  if (items_.empty()) return 0;
  const size_t mask = slots_.size() - 1;
  size_t hole = probe(path, hash_of(path));
  if (slots_[hole] == 0) return 0;
  const size_t index = index_of(slots_[hole]);
  untrusted_ -= items_[index].second.trusted ? 0 : 1;
  // Backward-shift: pull later members of the probe run into the hole, so that every entry
  // stays reachable from its home slot without tombstones.
  for (size_t next = (hole + 1) & mask; slots_[next] != 0; next = (next + 1) & mask) {
    const size_t home = home_of(slots_[next]) & mask;
    // `next` may move to `hole` only if its home is not cyclically in (hole, next].
    const bool stays = hole < next ? (home > hole && home <= next) : (home > hole || home <= next);
    if (stays) continue;
    slots_[hole] = slots_[next];
    hole = next;
  }
  slots_[hole] = 0;
  // Keep items_ dense: the last item takes the erased one's place (its path bytes stay in the
  // arena until the next copy).
  const size_t last = items_.size() - 1;
  if (index != last) {
    const uint64_t hash = hash_of(items_[last].first);
    size_t i = home_of(hash) & mask;
    while (slots_[i] == 0 || index_of(slots_[i]) != last) i = (i + 1) & mask;
    slots_[i] = slot_of(hash, index);
    items_[index] = items_[last];
  }
  items_.pop_back();
  return 1;
}

bool NodeEntries::operator==(const NodeEntries& other) const {
  if (size() != other.size()) return false;
  for (const auto& [path, entry] : *this) {
    const auto it = other.find(path);
    if (it == other.end() || !(it->second == entry)) return false;
  }
  return true;
}

}  // namespace nb::store
