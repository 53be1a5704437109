// A NodeFs wrapper for tests: records what the job read, and injects faults — a read error for
// chosen paths, an action run while a file is being read (to change it mid-read), an action
// run before a batch is read (to make files vanish after the walk).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "fs/fs_wrapper.h"

namespace nb::test {

class RecordingFs final : public fs::FsWrapper {
 public:
  using fs::FsWrapper::FsWrapper;

  Result<> read_files(const std::vector<std::string>& paths, fs::ReadSink& sink) override;

  // What was read since the last reset().
  std::multiset<std::string> reads;
  uint64_t bytes = 0;
  void reset() {
    reads.clear();
    bytes = 0;
  }

  std::map<std::string, int> fail_with_errno;                  // path → errno on read
  std::function<void(const std::string& path)> while_reading;  // after the first chunk
  std::function<void()> before_batch;
};

}  // namespace nb::test
