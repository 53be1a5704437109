#include "support/fs_world.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <stdexcept>

#include "fs/local_fs.h"
#include "fs/ssh/exec_fs.h"
#include "fs/ssh/sftp_fs.h"
#include "support/memory_fs.h"
#include "support/recording_fs.h"
#include "support/sshd_fixture.h"
#include "support/temp_dir.h"

namespace nb::test {

namespace {

void check(Result<> r) {
  if (!r) throw std::runtime_error(r.error().message());
}

// A real directory tree, read through one of the real node filesystems.
class DiskWorld final : public FsWorld {
 public:
  explicit DiskWorld(const NodeUnderTest& node) : node_(node), root_(dir_ / "tree") {
    // Readable by the unprivileged user the ssh nodes log in as.
    std::filesystem::permissions(dir_.path(), std::filesystem::perms(0755));
    std::filesystem::create_directories(root_);
    reconnect();
  }
  std::string name() const override { return node_.name; }
  std::string path(const std::string& rel) const override {
    return rel.empty() ? root_ : root_ + "/" + rel;
  }
  fs::NodeFs& fs() override { return *fs_; }
  void reconnect() override {
    fs_.reset();
    inner_ = node_.make();
    fs_ = std::make_unique<RecordingFs>(*inner_);
  }
  void write(const std::string& rel, const std::string& content, int64_t age_s) override {
    write_file(path(rel), content, age_s);
  }
  void append(const std::string& rel, const std::string& more) override {
    append_file(path(rel), more);
  }
  void touch(const std::string& rel, int64_t age_s) override { set_mtime_age(path(rel), age_s); }
  void mkdir(const std::string& rel) override { std::filesystem::create_directories(path(rel)); }
  void symlink(const std::string& rel, const std::string& target) override {
    std::filesystem::create_symlink(target, path(rel));
  }
  void mkfifo(const std::string& rel) override {
    if (::mkfifo(path(rel).c_str(), 0644) != 0) throw std::runtime_error("mkfifo");
  }
  void remove(const std::string& rel) override { std::filesystem::remove_all(path(rel)); }
  void chmod(const std::string& rel, unsigned mode) override {
    if (::chmod(path(rel).c_str(), mode) != 0) throw std::runtime_error("chmod");
  }
  bool forbid(const std::string& rel) override {
    // Root reads a mode-000 file anyway: only the ssh nodes' unprivileged user is stopped.
    if (node_.name == "local" && ::geteuid() == 0) return false;
    chmod(rel, 0);
    return true;
  }
  void while_reading(std::function<void(const std::string&)> action) override {
    fs_->while_reading = std::move(action);
  }

 private:
  NodeUnderTest node_;
  TempDir dir_;
  std::string root_;
  std::unique_ptr<fs::NodeFs> inner_;
  std::unique_ptr<RecordingFs> fs_;
};

class MemoryWorld final : public FsWorld {
 public:
  MemoryWorld() { check(fs_.add_directory("/tree")); }
  std::string name() const override { return "memory"; }
  std::string path(const std::string& rel) const override {
    return rel.empty() ? "/tree" : "/tree/" + rel;
  }
  fs::NodeFs& fs() override { return fs_; }
  void reconnect() override {}  // nothing to reconnect: the entries are the node
  void write(const std::string& rel, const std::string& content, int64_t age_s) override {
    make_parents(rel);
    tick();
    check(fs_.add_file(path(rel), content, fs_.now_ns() - age_s * 1'000'000'000));
  }
  void append(const std::string& rel, const std::string& more) override {
    const auto meta = fs_.stat(path(rel));
    if (!meta) throw std::runtime_error(meta.error().message());
    std::string content = read_content(path(rel));
    tick();
    check(fs_.add_file(path(rel), content + more, fs_.now_ns(), meta->mode));
  }
  void touch(const std::string& rel, int64_t age_s) override {
    const auto meta = fs_.stat(path(rel));
    if (!meta) throw std::runtime_error(meta.error().message());
    std::string content = read_content(path(rel));
    tick();
    check(fs_.add_file(path(rel), content, fs_.now_ns() - age_s * 1'000'000'000, meta->mode));
  }
  void mkdir(const std::string& rel) override {  // with its parents, as mkdir -p
    make_parents(rel);
    tick();
    check(fs_.add_directory(path(rel)));
  }
  void symlink(const std::string& rel, const std::string& target) override {
    tick();
    check(fs_.add_symlink(path(rel), target));
  }
  void mkfifo(const std::string& rel) override {
    tick();
    check(fs_.add_special(path(rel), fs::FileType::fifo));
  }
  void remove(const std::string& rel) override { fs_.remove(path(rel)); }
  void chmod(const std::string& rel, unsigned mode) override {
    auto meta = fs_.stat(path(rel));
    if (!meta) throw std::runtime_error(meta.error().message());
    tick();
    if (meta->type == fs::FileType::regular) {
      std::string content = read_content(path(rel));
      check(fs_.add_file(path(rel), content, meta->mtime_ns, mode));
    } else if (meta->type == fs::FileType::directory) {
      check(fs_.add_directory(path(rel), mode));
    }
  }
  bool forbid(const std::string& rel) override {
    fs_.forbid(path(rel));
    return true;
  }
  void while_reading(std::function<void(const std::string&)> action) override {
    fs_.while_reading = std::move(action);
  }

 private:
  void tick() { fs_.set_now_ns(fs_.now_ns() + 1'000'000'000); }
  void make_parents(const std::string& rel) {
    for (size_t slash = rel.find('/'); slash != std::string::npos;
         slash = rel.find('/', slash + 1)) {
      if (!fs_.stat(path(rel.substr(0, slash))))
        check(fs_.add_directory(path(rel.substr(0, slash))));
    }
  }
  std::string read_content(const std::string& p) {
    struct Collect final : fs::ReadSink {
      std::string content;
      void begin(const std::string&, const fs::FileMeta&) override {}
      Result<> data(std::string_view chunk) override {
        content.append(chunk);
        return {};
      }
      void end(const std::string&, const Result<fs::ReadDone>&) override {}
    } sink;
    auto hook = std::move(fs_.while_reading);
    check(fs_.read_files({p}, sink));
    fs_.while_reading = std::move(hook);
    return sink.content;
  }

  MemoryFs fs_;
};

}  // namespace

const NodeUnderTest& local_node() {
  static const NodeUnderTest local{"local", [] { return fs::make_local_fs(); }};
  return local;
}

std::vector<NodeUnderTest> nodes_under_test() {
  return {local_node(),
          {"sftp",
           [] {
             auto fs = fs::ssh::open_sftp_fs(SshServer::instance().target());
             if (!fs) throw std::runtime_error(fs.error().message());
             return std::move(*fs);
           }},
          {"exec", [] {
             auto fs = fs::ssh::open_exec_fs(SshServer::instance().target());
             if (!fs) throw std::runtime_error(fs.error().message());
             return std::move(*fs);
           }}};
}

std::vector<NodeUnderTest> real_condition_nodes() {
  const auto open = [](bool exec, fs::ssh::SshTarget target) {
    auto fs = exec ? fs::ssh::open_exec_fs(target) : fs::ssh::open_sftp_fs(target);
    if (!fs) throw std::runtime_error(fs.error().message());
    return std::move(*fs);
  };
  return {
      {"exec heavy shell", [=] { return open(true, SshServer::heavy_shell().target()); }},
      {"exec 50 ms rtt", [=] { return open(true, SshServer::instance().target_via_delay(50)); }},
      {"sftp 50 ms rtt", [=] { return open(false, SshServer::instance().target_via_delay(50)); }}};
}

std::vector<std::string> fs_world_names() {
  return {"local", "sftp", "exec", "memory"};
}

std::vector<std::string> real_condition_world_names() {
  auto names = fs_world_names();
  for (const auto& node : real_condition_nodes()) names.push_back(node.name);
  return names;
}

std::unique_ptr<FsWorld> make_fs_world(const std::string& name) {
  if (name == "memory") return std::make_unique<MemoryWorld>();
  for (const auto& node : nodes_under_test()) {
    if (node.name == name) return make_fs_world(node);
  }
  for (const auto& node : real_condition_nodes()) {
    if (node.name == name) return make_fs_world(node);
  }
  throw std::runtime_error("no node filesystem " + name);
}

std::unique_ptr<FsWorld> make_fs_world(const NodeUnderTest& node) {
  return std::make_unique<DiskWorld>(node);
}

}  // namespace nb::test
