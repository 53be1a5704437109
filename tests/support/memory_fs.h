// An in-memory node filesystem: the fake that lets job tests run without a disk tree, root or
// sshd, and the fourth implementation the NodeFs conformance suite holds to the contract.
// Entries are set up (and changed between or during runs) through the methods below; time
// is whatever the test says it is. Not thread-safe, like every NodeFs.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "fs/node_fs.h"

namespace nb::test {

class MemoryFs final : public fs::NodeFs {
 public:
  explicit MemoryFs(fs::Capabilities caps = {
                        .ctime = true, .inode = true, .mtime_resolution_ns = 1});

  // Adds or replaces an entry; its parent directory must exist (else ENOENT). Each change gives
  // the entry a new ctime (the fake's clock, `now_ns()`) and keeps its inode.
  Result<> add_directory(const std::string& path, uint32_t mode = 0755);
  Result<> add_file(const std::string& path, std::string content, int64_t mtime_ns,
                    uint32_t mode = 0644);
  Result<> add_symlink(const std::string& path, const std::string& target);
  Result<> add_special(const std::string& path, FileType type);
  // Removes an entry and everything below it.
  void remove(const std::string& path);
  // Reads of this entry (and listings, for a directory) fail with EACCES, as for mode 000.
  void forbid(const std::string& path);

  // The fake's clock, used for ctime and for a read's finishing time.
  int64_t now_ns() const { return now_ns_; }
  void set_now_ns(int64_t ns) { now_ns_ = ns; }
  // Called after the first chunk of each file is handed to the sink, before the rest: a test
  // changes the file here to model a write during the read.
  std::function<void(const std::string& path)> while_reading;

  fs::Capabilities capabilities() const override { return caps_; }
  std::string describe() const override { return "memory"; }
  Result<fs::FileMeta> stat(const std::string& path) override;
  Result<> walk(const std::string& root, fs::WalkVisitor& visitor) override;
  Result<> read_files(const std::vector<std::string>& paths, fs::ReadSink& sink) override;

 private:
  struct Entry {
    fs::FileMeta meta;
    std::string content;
    bool forbidden = false;
  };
  Result<> put(const std::string& path, fs::FileMeta meta, std::string content);
  fs::FileMeta visible(const Entry& e) const;  // only the declared fields
  Result<> read_one(const std::string& path, fs::ReadSink& sink);

  fs::Capabilities caps_;
  std::map<std::string, Entry> entries_;
  uint64_t next_inode_ = 1;
  int64_t now_ns_ = 1'700'000'000'000'000'000;
};

}  // namespace nb::test
