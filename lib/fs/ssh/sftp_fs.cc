#include "fs/ssh/sftp_fs.h"

#include <algorithm>
#include <cerrno>
#include <optional>

#include "fs/ssh/run_on_node.h"
#include "fs/ssh/sftp_attrs.h"
#include "fs/ssh/sftp_channel.h"
#include "fs/ssh/sftp_reader.h"
#include "fs/ssh/sftp_walker.h"

namespace nb::fs::ssh {

namespace {

// Connections reading at once: each has its own sshd and sftp-server process on the node, so
// two keep both ends busy on a small machine. Far more files than that are in flight.
constexpr size_t kReaders = 2;

// lstat, and readlink for a symlink, as single requests on a channel otherwise used for
// pipelined listings and reads: one SFTP implementation (sftp_wire.h), one status mapping.
Result<FileMeta> lstat(SftpChannel& channel, const std::string& path,
                       std::chrono::milliseconds timeout) {
  std::optional<Result<FileMeta>> out;
  auto r = channel.call(
      wire::kLstat, [&](wire::PacketWriter& p) { p.str(path); }, timeout,
      [&](const wire::Reply& reply) {
        wire::PacketReader body(reply.body);
        const auto attrs =
            reply.type == wire::kAttrs ? wire::read_attrs(body) : LIBSSH2_SFTP_ATTRIBUTES{};
        if (reply.type == wire::kAttrs && !body.failed()) {
          out.emplace(meta_from_attrs(attrs));
        } else {
          out.emplace(std::unexpected(wire::status_error(reply, "stat", path)));
        }
      });
  if (!r) return std::unexpected(r.error());
  if (!*out || (*out)->type != FileType::symlink) return *out;
  r = channel.call(
      wire::kReadlink, [&](wire::PacketWriter& p) { p.str(path); }, timeout,
      [&](const wire::Reply& reply) {
        auto names = wire::read_names(reply);
        if (names && !names->empty()) {
          (*out)->link_target = std::move((*names)[0].name);
        } else {
          out.emplace(std::unexpected(wire::status_error(reply, "readlink", path)));
        }
      });
  if (!r) return std::unexpected(r.error());
  return *out;
}

class SftpFs final : public NodeFs {
 public:
  SftpFs(SshTarget target, std::unique_ptr<SftpChannel> first) : target_(std::move(target)) {
    readers_.push_back(std::move(first));
  }

  Capabilities capabilities() const override {
    return Capabilities{.ctime = false, .inode = false, .mtime_resolution_ns = 1'000'000'000};
  }

  std::string describe() const override {
    return "sftp " + target_.user + "@" + target_.host + ":" + std::to_string(target_.port);
  }

  Result<FileMeta> stat(const std::string& path) override {
    if (auto r = ensure_readers(1); !r) return std::unexpected(r.error());
    auto meta = lstat(*readers_[0], path, target_.timeout);
    if (!meta && meta.error().transient()) readers_.clear();
    return meta;
  }

  Result<> walk(const std::string& root, WalkVisitor& visitor) override {
    auto meta = stat(root);
    if (!meta) return std::unexpected(meta.error());
    if (!visitor.entry(root, *meta) || meta->type != FileType::directory) return {};
    auto r = walk_pipelined(*readers_[0], root, visitor, target_.timeout);
    if (!r) readers_.clear();
    return r;
  }

  Result<> read_files(const std::vector<std::string>& paths, ReadSink& sink) override;

  Result<CommandOutcome> run_command(const std::string& command,
                                     const std::vector<std::string>& env,
                                     std::chrono::seconds timeout) override {
    if (auto r = ensure_readers(1); !r) return std::unexpected(r.error());
    auto outcome = run_on_node(readers_[0]->connection(), command, env, timeout);
    if (!outcome || outcome->timed_out) readers_.clear();  // the connection may be gone
    return outcome;
  }
  Result<CommandOutcome> stream_command(const std::string& command, std::chrono::seconds timeout,
                                        const OutputSink& out,
                                        const std::function<bool()>& cancelled) override {
    if (auto r = ensure_readers(1); !r) return std::unexpected(r.error());
    auto outcome = stream_on_node(readers_[0]->connection(), command, timeout, out, cancelled);
    if (!outcome || outcome->timed_out) readers_.clear();  // the connection may be gone
    return outcome;
  }

 private:
  Result<> ensure_readers(size_t wanted);

  SshTarget target_;
  // One connection each, with many requests in flight (sftp_walker.h, sftp_reader.h). The
  // first serves stat and the walk too; a second is opened only for a large read. After a
  // lost connection they are all dropped and reopened by the next operation.
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
  auto c = SshConnection::open(target);
  if (!c) return std::unexpected(c.error());
  auto channel = SftpChannel::open(std::move(*c));
  if (!channel) return std::unexpected(channel.error());
  return std::make_unique<SftpFs>(target, std::move(*channel));
}

}  // namespace nb::fs::ssh
