#include "backup/content_reader.h"

namespace nb::backup {

void ContentReader::begin(const std::string&, const fs::FileMeta& opened) {
  opened_ = opened;
  current_bytes_ = 0;
  hasher_.reset();
  batch_.begin_object();
}

Result<> ContentReader::data(std::string_view chunk) {
  hasher_.update(chunk.data(), chunk.size());
  current_bytes_ += chunk.size();
  bytes_read_ += chunk.size();
  if (auto r = batch_.append(chunk); !r) {
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
    batch_.abandon_object();
    out.error = outcome.error();
    outcomes_[path] = std::move(out);
    return;
  }
  out.hash = hasher_.digest();
  out.bytes = current_bytes_;
  out.done = *outcome;
  out.stable = unchanged_during_read(outcome->after);
  // Unstable content is stored too: it is what the snapshot will hold if retries never
  // settle, only its hash is not trusted for the store.
  auto stored = batch_.finish_object(out.hash);
  if (!stored) {
    storage_error_ = stored.error();
    out.error = stored.error();
  } else {
    out.ok = true;
    bytes_stored_ += *stored;
  }
  outcomes_[path] = std::move(out);
}

}  // namespace nb::backup
