#include "support/recording_fs.h"

namespace nb::test {

namespace {

class RecordingSink final : public fs::ReadSink {
 public:
  RecordingSink(RecordingFs& owner, fs::ReadSink& inner) : owner_(owner), inner_(inner) {}

  void begin(const std::string& path, const fs::FileMeta& opened) override {
    current_ = path;
    first_chunk_ = true;
    owner_.reads.insert(path);
    inner_.begin(path, opened);
  }
  Result<> data(std::string_view chunk) override {
    owner_.bytes += chunk.size();
    if (first_chunk_ && owner_.while_reading) owner_.while_reading(current_);
    first_chunk_ = false;
    return inner_.data(chunk);
  }
  void end(const std::string& path, const Result<fs::ReadDone>& outcome) override {
    inner_.end(path, outcome);
  }

 private:
  RecordingFs& owner_;
  fs::ReadSink& inner_;
  std::string current_;
  bool first_chunk_ = false;
};

}  // namespace

Result<> RecordingFs::read_files(const std::vector<std::string>& paths, fs::ReadSink& sink) {
  if (before_batch) before_batch();
  std::vector<std::string> forwarded;
  for (const auto& path : paths) {
    const auto it = fail_with_errno.find(path);
    if (it == fail_with_errno.end()) {
      forwarded.push_back(path);
    } else {
      sink.end(path, errno_error("open", path, it->second));
    }
  }
  RecordingSink recording(*this, sink);
  return target().read_files(forwarded, recording);
}

}  // namespace nb::test
