// Starting a command over an SSH exec channel, in non-blocking mode, for the exec session
// (remote_session.h), which feeds its stdin and reads its stdout and stderr at once.
#pragma once

#include <string>

#include "fs/ssh/ssh_connection.h"

namespace nb::fs::ssh {

// While alive, the connection's libssh2 session is non-blocking; restored to blocking after.
class NonBlocking {
 public:
  explicit NonBlocking(SshConnection& c);
  ~NonBlocking();
  NonBlocking(const NonBlocking&) = delete;
  NonBlocking& operator=(const NonBlocking&) = delete;

 private:
  LIBSSH2_SESSION* session_;
};

// Waits (non-blocking session) until the socket is ready in the direction libssh2 is blocked
// on; false after the connection's I/O timeout.
bool wait_socket(SshConnection& c);

// Opens a channel and starts `command` on it (non-blocking session). The channel's window is
// wide: with libssh2's 2 MiB default the sender stalls on every window adjustment.
Result<ChannelHandle> start_remote(SshConnection& c, const std::string& command);

// `text` as one shell word, for the remote shell: '…' with embedded quotes escaped.
std::string shell_quote(const std::string& text);

}  // namespace nb::fs::ssh
