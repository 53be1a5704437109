// One authenticated SSH connection to a node (libssh2, blocking mode with an I/O timeout, so a
// hung peer fails the call instead of hanging the job), and the channels opened on it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "util/error.h"

typedef struct _LIBSSH2_SESSION LIBSSH2_SESSION;
typedef struct _LIBSSH2_CHANNEL LIBSSH2_CHANNEL;

namespace nb::fs::ssh {

struct SshTarget {
  std::string node_id;
  std::string host;
  int port = 22;
  std::string user;
  std::string identity_file;
  std::string known_hosts;
  bool accept_new = false;  // record a first-seen host key (else refuse unknown hosts)
  std::chrono::seconds timeout{30};
};

class SshConnection {
 public:
  // Connects, verifies the host key against known_hosts, authenticates with the identity file.
  static Result<std::unique_ptr<SshConnection>> open(const SshTarget& target);
  ~SshConnection();
  SshConnection(const SshConnection&) = delete;
  SshConnection& operator=(const SshConnection&) = delete;

  LIBSSH2_SESSION* session() { return session_; }

  // The last libssh2 failure as an Error: transient, the connection is no longer usable.
  // (SFTP statuses are mapped in one place, wire::status_error.)
  Error last_error(const std::string& op, const std::string& path) const;

  // Keeps an idle connection alive through NAT and server timeouts.
  void keepalive();

  int socket() const { return socket_; }
  // "02_node (backup@host:22)": names the node in errors.
  const std::string& where() const { return where_; }
  std::chrono::seconds timeout() const { return timeout_; }

  // Where a test may act between the steps of an operation on this connection (freeze the
  // server at a chosen instant), as the repository's fault hook does for its writes.
  using StepHook = std::function<void(std::string_view step)>;
  void set_step_hook(StepHook hook) { step_hook_ = std::move(hook); }
  void step(std::string_view name) const {
    if (step_hook_) step_hook_(name);
  }

 private:
  SshConnection() = default;
  Result<> handshake(const SshTarget& target);
  Result<> verify_host_key(const SshTarget& target);
  Result<> authenticate(const SshTarget& target);

  int socket_ = -1;
  LIBSSH2_SESSION* session_ = nullptr;
  std::string where_;  // "02_node (backup@host:22)" for errors
  std::chrono::seconds timeout_{30};
  StepHook step_hook_;
};

// "SHA256:…" as OpenSSH prints host key fingerprints.
std::string sha256_fingerprint(const unsigned char digest[32]);

// Owns a libssh2 channel of a connection that outlives it. Freeing needs the peer to answer,
// so it runs in blocking mode, where the session's I/O timeout bounds it (non-blocking, libssh2
// 1.10 gives up on EAGAIN and leaks the channel).
class ChannelHandle {
 public:
  ChannelHandle() = default;
  ChannelHandle(LIBSSH2_SESSION* session, LIBSSH2_CHANNEL* channel)
      : session_(session), channel_(channel) {}
  ~ChannelHandle() { reset(); }
  ChannelHandle(ChannelHandle&& other) noexcept
      : session_(other.session_), channel_(std::exchange(other.channel_, nullptr)) {}
  ChannelHandle& operator=(ChannelHandle&& other) noexcept;
  LIBSSH2_CHANNEL* get() const { return channel_; }
  void reset();

 private:
  LIBSSH2_SESSION* session_ = nullptr;
  LIBSSH2_CHANNEL* channel_ = nullptr;
};

}  // namespace nb::fs::ssh
