// Runs one command over an SSH exec channel, streaming its stdout to a callback while its
// stdin is fed and its stderr collected — all three at once (non-blocking), so a command that
// writes much to stderr, or reads its input slowly, cannot deadlock the channel.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "fs/ssh/ssh_connection.h"

namespace nb::fs::ssh {

struct CommandResult {
  int exit_status = -1;
  std::string err;  // stderr, in full
};

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

// An error from `on_stdout` stops the command and is returned.
Result<CommandResult> run_remote(SshConnection& connection, const std::string& command,
                                 std::string_view input,
                                 const std::function<Result<>(std::string_view)>& on_stdout);

// `text` as one shell word, for the remote shell: '…' with embedded quotes escaped.
std::string shell_quote(const std::string& text);

}  // namespace nb::fs::ssh
