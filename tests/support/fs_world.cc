#include "support/fs_world.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <stdexcept>

#include "support/backup_fixture.h"
#include "support/memory_fs.h"
#include "support/recording_fs.h"
#include "support/temp_dir.h"

namespace nb::test {

namespace {

void check(Result<> r) {
  if (!r) throw std::runtime_error(r.error().message());
}

// A real directory tree, read through one of the real node filesystems.
class DiskWorld final : public FsWorld {
 public:
  explicit DiskWorld(const NodeUnderTest& node) : name_(node.name), root_(dir_ / "tree") {
    std::filesystem::permissions(dir_.path(), std::filesystem::perms(0755));
    std::filesystem::create_directories(root_);
    inner_ = node.make();
    fs_ = std::make_unique<RecordingFs>(*inner_);
  }
  std::string name() const override { return name_; }
  std::string path(const std::string& rel) const override {
    return rel.empty() ? root_ : root_ + "/" + rel;
  }
  fs::NodeFs& fs() override { return *fs_; }
  void write(const std::string& rel, const std::string& content) override {
    write_file(path(rel), content);
  }
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
    if (name_ == "local" && ::geteuid() == 0) return false;
    chmod(rel, 0);
    return true;
  }
  void while_reading(std::function<void(const std::string&)> action) override {
    fs_->while_reading = std::move(action);
  }

 private:
  std::string name_;
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
  void write(const std::string& rel, const std::string& content) override {
    tick();
    check(fs_.add_file(path(rel), content, fs_.now_ns()));
  }
  void mkdir(const std::string& rel) override {  // with its parents, as mkdir -p
    tick();
    for (size_t slash = rel.find('/'); slash != std::string::npos;
         slash = rel.find('/', slash + 1)) {
      if (!fs_.stat(path(rel.substr(0, slash))))
        check(fs_.add_directory(path(rel.substr(0, slash))));
    }
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

std::vector<std::string> fs_world_names() {
  return {"local", "sftp", "exec", "memory"};
}

std::unique_ptr<FsWorld> make_fs_world(const std::string& name) {
  if (name == "memory") return std::make_unique<MemoryWorld>();
  for (const auto& node : nodes_under_test()) {
    if (node.name == name) return std::make_unique<DiskWorld>(node);
  }
  throw std::runtime_error("no node filesystem " + name);
}

}  // namespace nb::test
