#include "repo/pack_writer.h"

namespace nb::repo {

namespace {
// Blobs smaller than this are gathered before they are written: an initial run's listings
// and small files' chunks are a few hundred bytes to a few KiB each.
constexpr size_t kBuffer = 256 << 10;
}  // namespace

Result<> PackWriter::add(BlobType type, const BlobId& id, std::string_view sealed,
                         uint32_t raw_length) {
  if (!file_) {
    auto file = storage_.create_pending("data/");
    if (!file) return std::unexpected(file.error());
    file_ = std::move(*file);
    namer_.emplace();
  }
  if (auto r = write(sealed); !r) {
    reset();
    return r;
  }
  blobs_.push_back(
      {type, id, static_cast<uint32_t>(size_), static_cast<uint32_t>(sealed.size()), raw_length});
  size_ += sealed.size();
  return {};
}

Result<PackRecord> PackWriter::finish(const RepoKeys& keys) {
  PackRecord record;
  const std::string tail = encode_pack_tail(keys, blobs_);
  auto written = write(tail);
  if (written) written = drain();
  if (written) {
    record.pack_id = namer_->finish();
    record.size = size_ + tail.size();
    record.blobs = std::move(blobs_);
    written = file_->commit(pack_name(record.pack_id));
  }
  reset();
  if (!written) return std::unexpected(written.error());
  return record;
}

Result<> PackWriter::write(std::string_view data) {
  namer_->update(data);
  const bool direct = data.size() >= kBuffer / 2;
  if (direct || buffer_.size() + data.size() > kBuffer) {
    if (auto r = drain(); !r) return r;
  }
  if (direct) return file_->append(data);
  if (buffer_.capacity() < kBuffer) buffer_.reserve(kBuffer);
  buffer_.append(data);
  return {};
}

Result<> PackWriter::drain() {
  if (buffer_.empty()) return {};
  auto r = file_->append(buffer_);
  buffer_.clear();
  return r;
}

void PackWriter::reset() {
  file_.reset();  // an uncommitted pending file removes itself
  namer_.reset();
  buffer_.clear();
  blobs_.clear();
  size_ = 0;
}

}  // namespace nb::repo
