#include "repo/storage/s3/s3_pack_cache.h"

namespace nb::repo::s3 {

std::shared_ptr<const std::string> PackCache::find(const std::string& name) {
  std::lock_guard lock(mutex_);
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->first == name) {
      entries_.splice(entries_.begin(), entries_, it);
      return entries_.front().second;
    }
  }
  return nullptr;
}

void PackCache::insert(const std::string& name, std::shared_ptr<const std::string> content) {
  std::lock_guard lock(mutex_);
  for (const auto& e : entries_) {
    if (e.first == name) return;  // another thread fetched it too
  }
  bytes_ += content->size();
  entries_.emplace_front(name, std::move(content));
  while (bytes_ > budget_ && entries_.size() > 1) {
    bytes_ -= entries_.back().second->size();
    entries_.pop_back();
  }
}

}  // namespace nb::repo::s3
