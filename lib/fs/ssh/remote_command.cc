#include "fs/ssh/remote_command.h"

#include <libssh2.h>
#include <poll.h>

#include <cerrno>

namespace nb::fs::ssh {

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

}  // namespace nb::fs::ssh
