// A NodeFs that forwards every call to another one. Tests derive from it to record what was
// read or to inject faults (EACCES, a vanished file, a dropped connection) into any NodeFs.
#pragma once

#include "fs/node_fs.h"

namespace nb::fs {

class FsWrapper : public NodeFs {
 public:
  explicit FsWrapper(NodeFs& target) : target_(target) {}

  Capabilities capabilities() const override { return target_.capabilities(); }
  std::string describe() const override { return target_.describe(); }
  Result<FileMeta> stat(const std::string& path) override { return target_.stat(path); }
  Result<> walk(const std::string& root, WalkVisitor& visitor) override {
    return target_.walk(root, visitor);
  }
  Result<> read_files(const std::vector<std::string>& paths, ReadSink& sink) override {
    return target_.read_files(paths, sink);
  }
  Result<> read_extras(const std::vector<std::string>& paths, const ExtrasDone& done) override {
    return target_.read_extras(paths, done);
  }
  Result<CommandOutcome> run_command(const std::string& command,
                                     const std::vector<std::string>& env,
                                     std::chrono::seconds timeout) override {
    return target_.run_command(command, env, timeout);
  }
  Result<CommandOutcome> stream_command(const std::string& command, std::chrono::seconds timeout,
                                        const OutputSink& out,
                                        const std::function<bool()>& cancelled) override {
    return target_.stream_command(command, timeout, out, cancelled);
  }

 protected:
  NodeFs& target() { return target_; }

 private:
  NodeFs& target_;
};

}  // namespace nb::fs
