#include <cerrno>

#include "repo/repository.h"

namespace nb::repo {

Result<BlobBatch::Added> BlobBatch::add(BlobType type, std::string_view plaintext) {
  const BlobId id = repo_.blob_id(plaintext);
  if (staged_.contains(id) || repo_.has_blob(id)) return Added{id, 0};
  if (auto r = repo_.check_fault(FaultPoint::store_object); !r) return std::unexpected(r.error());
  PackWriter& pack = type == BlobType::tree ? trees_ : data_;
  const std::string sealed = seal(repo_.keys(), plaintext);
  if (auto r = pack.add(type, id, sealed, static_cast<uint32_t>(plaintext.size())); !r) {
    return std::unexpected(r.error());
  }
  staged_.insert(id);
  if (pack.size() >= kPackTargetSize) {
    if (auto r = flush(pack); !r) return std::unexpected(r.error());
  }
  return Added{id, plaintext.size()};
}

Result<> BlobBatch::flush(PackWriter& pack) {
  if (pack.empty()) return {};
  if (auto r = repo_.check_fault(FaultPoint::write_pack); !r) return r;
  auto record = pack.finish(repo_.keys());
  if (!record) return std::unexpected(record.error());
  written_.push_back(std::move(*record));
  return {};
}

Result<> BlobBatch::commit() {
  if (data_.empty() && trees_.empty() && written_.empty()) return {};
  if (auto r = repo_.check_fault(FaultPoint::commit_objects); !r) return r;
  if (auto r = flush(data_); !r) return r;
  if (auto r = flush(trees_); !r) return r;
  // Only once every pack is durable does an index file name them, and only once the index
  // file is durable may a snapshot refer to their blobs.
  if (auto r = repo_.check_fault(FaultPoint::write_index); !r) return r;
  const std::string file = encode_index_file(repo_.keys(), written_);
  const std::string name = "index/" + content_name(file).hex();
  if (auto r = repo_.storage().put(name, file); !r) return r;
  repo_.note_committed(name, written_);
  written_.clear();
  staged_.clear();
  return {};
}

}  // namespace nb::repo
