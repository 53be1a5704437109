#include "fs/ssh/sftp_fs.h"

#include <algorithm>
#include <cerrno>

#include "fs/ssh/sftp_attrs.h"
#include "fs/ssh/sftp_channel.h"
#include "fs/ssh/sftp_reader.h"
#include "fs/ssh/sftp_walker.h"

namespace nb::fs::ssh {

namespace {

// Connections reading at once: each has its own sshd and sftp-server process on the node, so
// two keep both ends busy on a small machine. Far more files than that are in flight.
constexpr size_t kReaders = 2;

// The operations of the job's own connection: lstat and readlink (listings and reads go
// through SftpChannels).
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
    // Listed through a reader connection, idle until the job reads: it can keep many
    // directories in flight, which libssh2's own SFTP calls on main_ cannot.
    if (auto r = ensure_readers(1); !r) return r;
    auto r = walk_pipelined(*readers_[0], root, visitor, target_.timeout);
    if (!r) readers_.clear();
    return r;
  }

  Result<> read_files(const std::vector<std::string>& paths, ReadSink& sink) override;

 private:
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
