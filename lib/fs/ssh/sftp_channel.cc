#include "fs/ssh/sftp_channel.h"

#include <libssh2.h>

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <optional>

namespace nb::fs::ssh {

namespace {

constexpr int kPinWrite = 1;
constexpr int kPinRead = 2;
// A receive window far larger than what the reader ever has in flight (sftp_reader.cc keeps
// at most a few MiB of READ replies outstanding): the server can then always send every reply
// it owes, even while a half-sent request pins this side to writing.
constexpr unsigned kWindow = 32 << 20;
constexpr size_t kReceiveBuffer = 256 << 10;
constexpr uint32_t kVersion = 3;

}  // namespace

Result<std::unique_ptr<SftpChannel>> SftpChannel::open(std::unique_ptr<SshConnection> connection) {
  LIBSSH2_SESSION* session = connection->session();
  LIBSSH2_CHANNEL* channel = libssh2_channel_open_ex(session, "session", 7, kWindow,
                                                     LIBSSH2_CHANNEL_PACKET_DEFAULT, nullptr, 0);
  if (channel == nullptr) return std::unexpected(connection->last_error("open channel", {}));
  std::unique_ptr<SftpChannel> c(new SftpChannel(std::move(connection), channel));
  if (libssh2_channel_process_startup(channel, "subsystem", 9, "sftp", 4) != 0)
    return std::unexpected(c->connection_->last_error("start sftp", {}));
  libssh2_session_set_blocking(session, 0);
  if (auto r = c->negotiate(); !r) return std::unexpected(r.error());
  return c;
}

SftpChannel::~SftpChannel() {
  // A lost peer may never answer: shut the socket so that closing fails at once instead of
  // waiting out the timeout. Otherwise blocking again, so that the close and the disconnect
  // that follows are actually sent (libssh2 1.10 would leak them on EAGAIN).
  if (broken_) ::shutdown(connection_->socket(), SHUT_RDWR);
  libssh2_session_set_blocking(connection_->session(), 1);
  channel_.reset();
}

// INIT/VERSION through the same non-blocking path as everything else, with the I/O timeout.
Result<> SftpChannel::negotiate() {
  wire::PacketWriter init(wire::kInit, std::nullopt);
  init.u32(kVersion);
  init.finish(out_);
  ++outstanding_;  // VERSION answers INIT like a reply
  bool answered = false;
  std::optional<Error> refused;
  const auto on_reply = [&](const wire::Reply& reply) {
    answered = true;
    // VERSION has no id: its version field sits where a reply's id does.
    if (reply.type != wire::kVersion || reply.id != kVersion) {
      refused = lost("start sftp", "the server does not speak SFTP version 3");
    }
  };
  const int timeout_ms = static_cast<int>(connection_->timeout().count() * 1000);
  while (!answered) {
    if (auto r = pump(on_reply); !r) return r;
    if (answered) break;
    pollfd p = poll_fd();
    if (::poll(&p, 1, timeout_ms) == 0) return std::unexpected(lost("start sftp", "timed out"));
  }
  if (refused) return std::unexpected(*refused);
  return {};
}

uint32_t SftpChannel::send(uint8_t type, const std::function<void(wire::PacketWriter&)>& fields) {
  const uint32_t id = next_id_++;
  wire::PacketWriter packet(type, id);
  fields(packet);
  packet.finish(out_);
  ++outstanding_;
  queued_since_pump_ = true;
  return id;
}

Result<> SftpChannel::pump(const ReplyHandler& on_reply) {
  if (pinned_ != kPinRead) {
    if (auto r = flush(); !r) return r;
  }
  if (pinned_ != kPinWrite) {
    if (auto r = receive(); !r) return r;
    if (auto r = dispatch(on_reply); !r) return r;
    // Replies may have queued requests: send them now rather than after the next poll.
    if (pinned_ == 0) {
      if (auto r = flush(); !r) return r;
    }
  }
  queued_since_pump_ = false;
  return {};
}

void SftpChannel::note_block(int rc, int op) {
  const bool half_sent =
      rc == LIBSSH2_ERROR_EAGAIN && (libssh2_session_block_directions(connection_->session()) &
                                     LIBSSH2_SESSION_BLOCK_OUTBOUND) != 0;
  pinned_ = half_sent ? op : 0;
}

Result<> SftpChannel::flush() {
  while (out_sent_ < out_.size()) {
    const ssize_t n =
        libssh2_channel_write(channel_.get(), out_.data() + out_sent_, out_.size() - out_sent_);
    if (n == LIBSSH2_ERROR_EAGAIN) {
      note_block(static_cast<int>(n), kPinWrite);
      return {};
    }
    if (n < 0) return std::unexpected(lost("send", "connection lost"));
    pinned_ = 0;
    out_sent_ += static_cast<size_t>(n);
  }
  out_.clear();
  out_sent_ = 0;
  return {};
}

Result<> SftpChannel::receive() {
  buffer_.resize(kReceiveBuffer);
  for (;;) {
    const ssize_t n = libssh2_channel_read(channel_.get(), buffer_.data(), buffer_.size());
    if (n == LIBSSH2_ERROR_EAGAIN) {
      note_block(static_cast<int>(n), kPinRead);
      return {};
    }
    if (n < 0) return std::unexpected(lost("receive", "connection lost"));
    pinned_ = 0;
    if (n == 0) {
      if (libssh2_channel_eof(channel_.get()))
        return std::unexpected(lost("receive", "sftp ended"));
      return {};
    }
    in_.append(buffer_.data(), static_cast<size_t>(n));
  }
}

Result<> SftpChannel::dispatch(const ReplyHandler& on_reply) {
  size_t offset = 0;
  bool bad = false;
  while (auto reply = wire::next_reply(in_, offset, bad)) {
    if (outstanding_ == 0) return std::unexpected(lost("receive", "unexpected sftp reply"));
    --outstanding_;
    on_reply(*reply);
  }
  in_.erase(0, offset);
  if (bad) return std::unexpected(lost("receive", "malformed sftp reply"));
  return {};
}

Result<> SftpChannel::call(uint8_t type, const std::function<void(wire::PacketWriter&)>& fields,
                           std::chrono::milliseconds timeout, const ReplyHandler& on_reply) {
  const uint32_t id = send(type, fields);
  bool answered = false;
  std::optional<Error> stray;
  while (!answered) {
    auto r = pump([&](const wire::Reply& reply) {
      if (reply.id != id) {
        stray = lost("receive", "sftp reply to no request");
        return;
      }
      answered = true;
      on_reply(reply);
    });
    if (!r) return r;
    if (stray) return std::unexpected(*stray);
    if (answered) break;
    if (auto w = wait(timeout); !w) return w;
  }
  return {};
}

Result<> SftpChannel::wait(std::chrono::milliseconds timeout) {
  pollfd p = poll_fd();
  const int n = ::poll(&p, 1, queued_since_pump_ ? 0 : static_cast<int>(timeout.count()));
  if (n < 0 && errno != EINTR) return std::unexpected(lost("poll", std::strerror(errno)));
  if (n == 0 && outstanding_ > 0 && !queued_since_pump_) {
    abandon();
    return fail("receive", where(), ETIMEDOUT,
                "no sftp reply for " + std::to_string(timeout.count() / 1000) + " s", true);
  }
  return {};
}

pollfd SftpChannel::poll_fd() const {
  pollfd p{connection_->socket(), POLLIN, 0};
  const int dirs = libssh2_session_block_directions(connection_->session());
  if (dirs & LIBSSH2_SESSION_BLOCK_OUTBOUND) p.events |= POLLOUT;
  // A pinned call can only go on once its half-sent packet leaves: waiting for input as well
  // would wake up at once, again and again, without anything to do.
  if (pinned_ != 0) p.events = POLLOUT;
  return p;
}

Error SftpChannel::lost(const std::string& op, const std::string& why) const {
  broken_ = true;
  char* message = nullptr;
  const int code = libssh2_session_last_error(connection_->session(), &message, nullptr, 0);
  std::string detail = why;
  if (code != 0 && code != LIBSSH2_ERROR_EAGAIN && message != nullptr && *message)
    detail += std::string(" (") + message + ")";
  return Error(op, connection_->where(), code == LIBSSH2_ERROR_TIMEOUT ? ETIMEDOUT : 0, detail,
               true);
}

}  // namespace nb::fs::ssh
