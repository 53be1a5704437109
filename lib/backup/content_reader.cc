#include "backup/content_reader.h"

namespace nb::backup {

void ContentReader::begin(const std::string&, const fs::FileMeta& opened) {
  opened_ = opened;
  current_bytes_ = 0;
  hasher_.reset();
  chunker_.reset();
  content_.clear();
}

Result<> ContentReader::add_chunk(std::string_view chunk) {
  auto added = batch_.add(repo::BlobType::data, chunk);
  if (!added) return std::unexpected(added.error());
  content_.push_back(added->id);
  bytes_stored_ += added->stored;
  return {};
}

Result<> ContentReader::data(std::string_view chunk) {
  hasher_.update(chunk.data(), chunk.size());
  current_bytes_ += chunk.size();
  bytes_read_ += chunk.size();
  if (auto r = chunker_.feed(chunk, [this](std::string_view c) { return add_chunk(c); }); !r) {
    storage_error_ = r.error();
    return r;
  }
  return {};
}

bool ContentReader::unchanged_during_read(const fs::FileMeta& after) const {
  return opened_.size == after.size && current_bytes_ == after.size &&
         opened_.mtime_ns == after.mtime_ns && (!caps_.ctime || opened_.ctime_ns == after.ctime_ns);
}

void ContentReader::end(const std::string& path, const Result<fs::ReadDone>& outcome) {
  ReadOutcome out;
  if (!outcome) {
    chunker_.reset();
    out.error = outcome.error();
    outcomes_[path] = std::move(out);
    return;
  }
  // Unstable content is stored too: it is what the snapshot will hold if retries never
  // settle, only its hash is not trusted for the store.
  auto last = chunker_.finish([this](std::string_view c) { return add_chunk(c); });
  if (!last) {
    storage_error_ = last.error();
    out.error = last.error();
    outcomes_[path] = std::move(out);
    return;
  }
  out.ok = true;
  out.hash = hasher_.digest();
  out.content = std::move(content_);
  content_.clear();
  out.bytes = current_bytes_;
  out.done = *outcome;
  out.stable = unchanged_during_read(outcome->after);
  outcomes_[path] = std::move(out);
}

}  // namespace nb::backup
