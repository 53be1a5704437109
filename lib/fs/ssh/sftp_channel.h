// One SFTP channel spoken directly (sftp_wire.h) over a libssh2 channel in non-blocking mode,
// so that any number of requests can be in flight at once and their replies are matched by id.
// The caller queues requests with send(), then drives the channel with pump() whenever poll()
// says its socket is ready; pump() never blocks.
#pragma once

#include <poll.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "fs/ssh/sftp_wire.h"
#include "fs/ssh/ssh_connection.h"

namespace nb::fs::ssh {

class SftpChannel {
 public:
  // Opens the "sftp" subsystem on its own connection and negotiates version 3; from then on
  // the connection's session is non-blocking and belongs to this channel.
  static Result<std::unique_ptr<SftpChannel>> open(std::unique_ptr<SshConnection> connection);
  ~SftpChannel();
  SftpChannel(const SftpChannel&) = delete;
  SftpChannel& operator=(const SftpChannel&) = delete;

  // Queues a request; returns its id. `packet` is filled in by the caller with the request's
  // fields after the id.
  uint32_t send(uint8_t type, const std::function<void(wire::PacketWriter&)>& fields);

  // Sends what is queued and hands every complete reply to `on_reply` (which may send()).
  // A returned Error is transient and means the connection is lost.
  using ReplyHandler = std::function<void(const wire::Reply&)>;
  Result<> pump(const ReplyHandler& on_reply);

  // One request, its reply handed to `on_reply`, waiting at most `timeout` without progress:
  // for a stat between pipelined operations. Nothing else may be in flight.
  Result<> call(uint8_t type, const std::function<void(wire::PacketWriter&)>& fields,
                std::chrono::milliseconds timeout, const ReplyHandler& on_reply);

  // Blocks until pump() can make progress. Fails (and abandons the channel) when requests
  // are out and nothing arrives for `timeout`.
  Result<> wait(std::chrono::milliseconds timeout);

  // Requests sent whose reply has not arrived yet.
  size_t outstanding() const { return outstanding_; }
  // Requests were queued since the last pump(): pump before waiting.
  bool has_unsent() const { return queued_since_pump_; }
  // What to wait for before pump() can make progress.
  pollfd poll_fd() const;
  // "02_node (backup@host:22)", for errors.
  const std::string& where() const { return connection_->where(); }
  // The connection the channel runs on, for another channel beside it (a hook) while no
  // request is in flight.
  SshConnection& connection() { return *connection_; }
  // The connection is unusable: a lost connection, or a reply that cannot be SFTP.
  Error lost(const std::string& op, const std::string& why) const;
  // The peer stopped answering: the channel must not wait for it when closed.
  void abandon() { broken_ = true; }

 private:
  SftpChannel(std::unique_ptr<SshConnection> connection, LIBSSH2_CHANNEL* channel)
      : connection_(std::move(connection)), channel_(connection_->session(), channel) {}
  Result<> negotiate();
  Result<> flush();
  Result<> receive();
  Result<> dispatch(const ReplyHandler& on_reply);
  void note_block(int rc, int op);

  std::unique_ptr<SshConnection> connection_;
  ChannelHandle channel_;  // declared after connection_: freed before its session
  uint32_t next_id_ = 1;
  size_t outstanding_ = 0;
  std::string out_;  // requests not yet accepted by libssh2, from out_sent_ on
  size_t out_sent_ = 0;
  bool queued_since_pump_ = false;
  mutable bool broken_ = false;  // lost(): the peer may be gone, do not wait for it on close
  std::string in_;               // received bytes, replies not yet dispatched
  std::string buffer_;
  // libssh2 1.10, non-blocking: when a call returns EAGAIN with its SSH packet half sent,
  // the next call that sends must be that same call, or its own packet is silently dropped
  // (transport.c, send_existing). Such a call is "pinned" and retried before anything else.
  int pinned_ = 0;  // 0, kPinWrite or kPinRead
};

}  // namespace nb::fs::ssh
