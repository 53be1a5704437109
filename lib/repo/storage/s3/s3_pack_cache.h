// Whole packs kept in memory for range reads. A blob read is one request; over S3 each costs a
// round trip, and a backup rebuilding the listings of changed directories reads hundreds of
// small tree blobs that sit together in a few packs: one GET per pack instead of one per blob
// (bench/s3.sh, 1 % changed: 7.6 s before). Packs are named by the hash of their content, so a
// cached pack is never stale; one deleted meanwhile only serves the bytes it held.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace nb::repo::s3 {

class PackCache {
 public:
  explicit PackCache(uint64_t budget) : budget_(budget) {}

  // The pack's content if cached (and marks it recently used), else null.
  std::shared_ptr<const std::string> find(const std::string& name);
  // Keeps it, dropping the least recently used packs beyond the budget.
  void insert(const std::string& name, std::shared_ptr<const std::string> content);

 private:
  std::mutex mutex_;
  std::list<std::pair<std::string, std::shared_ptr<const std::string>>> entries_;  // newest first
  uint64_t bytes_ = 0;
  const uint64_t budget_;
};

}  // namespace nb::repo::s3
