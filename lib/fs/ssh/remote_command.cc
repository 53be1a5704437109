#include "fs/ssh/remote_command.h"

#include <libssh2.h>
#include <poll.h>

#include <cerrno>

namespace nb::fs::ssh {

namespace {

constexpr size_t kMaxStderr = 256 << 10;

}  // namespace

NonBlocking::NonBlocking(SshConnection& c) : session_(c.session()) {
  libssh2_session_set_blocking(session_, 0);
}

NonBlocking::~NonBlocking() {
  libssh2_session_set_blocking(session_, 1);
}

bool wait_socket(SshConnection& c) {
  const int dir = libssh2_session_block_directions(c.session());
  pollfd p{c.socket(), 0, 0};
  if (dir & LIBSSH2_SESSION_BLOCK_INBOUND) p.events |= POLLIN;
  if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND) p.events |= POLLOUT;
  if (p.events == 0) p.events = POLLIN;
  return ::poll(&p, 1, static_cast<int>(c.timeout().count() * 1000)) > 0;
}

Result<ChannelHandle> start_remote(SshConnection& c, const std::string& command) {
  LIBSSH2_SESSION* session = c.session();
  LIBSSH2_CHANNEL* channel = nullptr;
  constexpr unsigned kWindow = 64 << 20;
  while ((channel = libssh2_channel_open_ex(session, "session", sizeof "session" - 1, kWindow,
                                            LIBSSH2_CHANNEL_PACKET_DEFAULT, nullptr, 0)) ==
         nullptr) {
    if (libssh2_session_last_errno(session) != LIBSSH2_ERROR_EAGAIN || !wait_socket(c)) {
      return std::unexpected(c.last_error("open channel", {}));
    }
  }
  ChannelHandle owned(session, channel);
  c.step("exec");
  int rc;
  while ((rc = libssh2_channel_exec(channel, command.c_str())) == LIBSSH2_ERROR_EAGAIN) {
    if (!wait_socket(c)) {
      return fail("run remote command", c.where(), ETIMEDOUT,
                  "`" + command.substr(0, 40) + "`: no answer to exec for " +
                      std::to_string(c.timeout().count()) + " s",
                  true);
    }
  }
  if (rc != 0) return std::unexpected(c.last_error("run remote command", {}));
  return owned;
}

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

Result<CommandResult> run_remote(SshConnection& c, const std::string& command,
                                 std::string_view input,
                                 const std::function<Result<>(std::string_view)>& on_stdout) {
  NonBlocking non_blocking(c);
  auto started = start_remote(c, command);
  if (!started) return std::unexpected(started.error());
  const ChannelHandle owned = std::move(*started);  // freed however run_remote() ends
  LIBSSH2_CHANNEL* channel = owned.get();
  const auto close = [&] {
    while (libssh2_channel_close(channel) == LIBSSH2_ERROR_EAGAIN) {
      if (!wait_socket(c)) break;
    }
  };
  const auto timed_out = [&](const char* what) {
    return fail("run remote command", c.where(), ETIMEDOUT,
                "`" + command.substr(0, 40) + "`: no answer to " + what + " for " +
                    std::to_string(c.timeout().count()) + " s",
                true);
  };
  CommandResult result;
  bool eof_sent = false;
  std::string buffer(256 * 1024, '\0');
  Result<> consumer;
  for (;;) {
    bool progress = false;
    if (!input.empty()) {
      const ssize_t n = libssh2_channel_write(channel, input.data(), input.size());
      if (n > 0)
        input.remove_prefix(static_cast<size_t>(n)), progress = true;
      else if (n != LIBSSH2_ERROR_EAGAIN)
        break;
    } else if (!eof_sent) {
      const int e = libssh2_channel_send_eof(channel);
      if (e == 0)
        eof_sent = progress = true;
      else if (e != LIBSSH2_ERROR_EAGAIN)
        break;
    }
    const ssize_t out = libssh2_channel_read(channel, buffer.data(), buffer.size());
    if (out > 0) {
      progress = true;
      consumer = on_stdout({buffer.data(), static_cast<size_t>(out)});
      if (!consumer) break;
    } else if (out < 0 && out != LIBSSH2_ERROR_EAGAIN) {
      break;
    }
    const ssize_t err = libssh2_channel_read_stderr(channel, buffer.data(), buffer.size());
    if (err > 0) {
      progress = true;
      // Kept for error messages only: a node that writes stderr without end must not grow
      // our memory without bound.
      if (result.err.size() < kMaxStderr)
        result.err.append(buffer.data(), static_cast<size_t>(err));
    }
    if (libssh2_channel_eof(channel) && out <= 0 && err <= 0) {
      close();
      result.exit_status = libssh2_channel_get_exit_status(channel);
      return result;
    }
    if (!progress && !wait_socket(c)) return timed_out("output");
  }
  return std::unexpected(consumer ? c.last_error("run remote command", {}) : consumer.error());
}

}  // namespace nb::fs::ssh
