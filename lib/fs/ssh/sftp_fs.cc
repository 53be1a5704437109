#include "fs/ssh/sftp_fs.h"

#include <algorithm>
#include <cerrno>

#include "fs/ssh/sftp_attrs.h"
#include "fs/ssh/sftp_channel.h"
#include "fs/ssh/sftp_reader.h"

namespace nb::fs::ssh {

namespace {

// Connections reading at once: each has its own sshd and sftp-server process on the node, so
// two keep both ends busy on a small machine. Far more files than that are in flight.
constexpr size_t kReaders = 2;

std::string join(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

// The operations of the job's own connection: lstat and listings (reads go to SftpChannels).
class SftpSession {
 public:
  explicit SftpSession(std::unique_ptr<SshConnection> c) : c_(std::move(c)) {}

  Result<FileMeta> lstat(const std::string& path) {
    auto sftp = c_->sftp();
    if (!sftp) return std::unexpected(sftp.error());
    LIBSSH2_SFTP_ATTRIBUTES attrs{};
    if (libssh2_sftp_stat_ex(*sftp, path.data(), static_cast<unsigned>(path.size()),
                             LIBSSH2_SFTP_LSTAT, &attrs) != 0) {
      return std::unexpected(c_->last_error("stat", path));
    }
    FileMeta meta = meta_from_attrs(attrs);
    if (meta.type == FileType::symlink) {
      auto target = readlink(path);
      if (!target) return std::unexpected(target.error());
      meta.link_target = std::move(*target);
    }
    return meta;
  }

  Result<std::string> readlink(const std::string& path) {
    std::string target(4096, '\0');
    const int n = libssh2_sftp_symlink_ex(
        *c_->sftp(), path.data(), static_cast<unsigned>(path.size()), target.data(),
        static_cast<unsigned>(target.size()), LIBSSH2_SFTP_READLINK);
    if (n < 0) return std::unexpected(c_->last_error("readlink", path));
    target.resize(static_cast<size_t>(n));
    return target;
  }

  // Entries of a directory with their attributes, sorted by name.
  Result<std::vector<std::pair<std::string, FileMeta>>> list(const std::string& dir) {
    auto sftp = c_->sftp();
    if (!sftp) return std::unexpected(sftp.error());
    LIBSSH2_SFTP_HANDLE* h = libssh2_sftp_open_ex(
        *sftp, dir.data(), static_cast<unsigned>(dir.size()), 0, 0, LIBSSH2_SFTP_OPENDIR);
    if (h == nullptr) return std::unexpected(c_->last_error("list directory", dir));
    std::vector<std::pair<std::string, FileMeta>> out;
    std::string name(4096, '\0');
    for (;;) {
      LIBSSH2_SFTP_ATTRIBUTES attrs{};
      const int n = libssh2_sftp_readdir_ex(h, name.data(), name.size(), nullptr, 0, &attrs);
      if (n == 0) break;
      if (n < 0) {
        Error e = c_->last_error("list directory", dir);
        libssh2_sftp_close_handle(h);
        return std::unexpected(e);
      }
      std::string entry(name.data(), static_cast<size_t>(n));
      if (entry != "." && entry != "..") out.emplace_back(std::move(entry), meta_from_attrs(attrs));
    }
    libssh2_sftp_close_handle(h);
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    return out;
  }

  void keepalive() { c_->keepalive(); }

 private:
  std::unique_ptr<SshConnection> c_;
};

class SftpFs final : public NodeFs {
 public:
  SftpFs(SshTarget target, std::unique_ptr<SshConnection> main)
      : target_(std::move(target)), main_(std::move(main)) {}

  Capabilities capabilities() const override {
    return Capabilities{.ctime = false, .inode = false, .mtime_resolution_ns = 1'000'000'000};
  }

  std::string describe() const override {
    return "sftp " + target_.user + "@" + target_.host + ":" + std::to_string(target_.port);
  }

  Result<FileMeta> stat(const std::string& path) override { return main_.lstat(path); }

  Result<> walk(const std::string& root, WalkVisitor& visitor) override {
    main_.keepalive();
    auto meta = main_.lstat(root);
    if (!meta) return std::unexpected(meta.error());
    if (!visitor.entry(root, *meta) || meta->type != FileType::directory) return {};
    return walk_dir(root, visitor);
  }

  Result<> read_files(const std::vector<std::string>& paths, ReadSink& sink) override;

 private:
  Result<> walk_dir(const std::string& dir, WalkVisitor& visitor) {
    auto entries = main_.list(dir);
    if (!entries) {
      if (entries.error().transient()) return std::unexpected(entries.error());
      visitor.error(entries.error());
      return {};
    }
    for (auto& [name, meta] : *entries) {
      const std::string path = join(dir, name);
      if (meta.type == FileType::symlink) {
        auto target = main_.readlink(path);
        if (!target) {
          if (target.error().transient()) return std::unexpected(target.error());
          visitor.error(target.error());
          continue;
        }
        meta.link_target = std::move(*target);
      }
      if (!visitor.entry(path, meta) || meta.type != FileType::directory) continue;
      if (auto r = walk_dir(path, visitor); !r) return r;
    }
    return {};
  }

  Result<> ensure_readers(size_t wanted);

  SshTarget target_;
  SftpSession main_;
  // Connections that only read, each with many requests in flight (sftp_reader.h).
  std::vector<std::unique_ptr<SftpChannel>> readers_;
};

Result<> SftpFs::ensure_readers(size_t wanted) {
  while (readers_.size() < wanted) {
    auto c = SshConnection::open(target_);
    if (!c) return std::unexpected(c.error());
    auto channel = SftpChannel::open(std::move(*c));
    if (!channel) return std::unexpected(channel.error());
    readers_.push_back(std::move(*channel));
  }
  return {};
}

Result<> SftpFs::read_files(const std::vector<std::string>& paths, ReadSink& sink) {
  if (paths.empty()) return {};
  main_.keepalive();
  // A handful of files is not worth a second connection.
  const size_t wanted = std::min(kReaders, (paths.size() + 15) / 16);
  if (auto r = ensure_readers(wanted); !r) return r;
  std::vector<SftpChannel*> channels;
  for (size_t i = 0; i < wanted; ++i) channels.push_back(readers_[i].get());
  auto r = read_pipelined(channels, paths, sink, target_.timeout);
  // After a failure, requests may still be in flight or the peer gone: never reuse them.
  if (!r) readers_.clear();
  return r;
}

}  // namespace

Result<std::unique_ptr<NodeFs>> open_sftp_fs(const SshTarget& target) {
  auto main = SshConnection::open(target);
  if (!main) return std::unexpected(main.error());
  return std::make_unique<SftpFs>(target, std::move(*main));
}

}  // namespace nb::fs::ssh
