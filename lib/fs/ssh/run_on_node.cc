#include "fs/ssh/run_on_node.h"

#include <libssh2.h>
#include <poll.h>

#include <cerrno>

#include "fs/ssh/remote_command.h"

namespace nb::fs::ssh {
namespace {

using Clock = std::chrono::steady_clock;

// The session's blocking mode as it was: an SFTP channel keeps its session non-blocking for
// good, an idle connection is blocking, and either must find it as it left it.
class KeepBlockingMode {
 public:
  explicit KeepBlockingMode(LIBSSH2_SESSION* session)
      : session_(session), was_blocking_(libssh2_session_get_blocking(session)) {
    libssh2_session_set_blocking(session_, 0);
  }
  ~KeepBlockingMode() { libssh2_session_set_blocking(session_, was_blocking_); }
  KeepBlockingMode(const KeepBlockingMode&) = delete;
  KeepBlockingMode& operator=(const KeepBlockingMode&) = delete;

 private:
  LIBSSH2_SESSION* session_;
  int was_blocking_;
};

void wait_briefly(SshConnection& c) {
  const int dir = libssh2_session_block_directions(c.session());
  pollfd p{c.socket(), POLLIN, 0};
  if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND) p.events |= POLLOUT;
  ::poll(&p, 1, 100);
}

// Reads what the channel has on `stream` into `out`; false when nothing was there.
bool drain(LIBSSH2_CHANNEL* channel, int stream, std::string& out, Result<>& error,
           SshConnection& c) {
  bool got = false;
  char buffer[16384];
  for (;;) {
    const ssize_t n = libssh2_channel_read_ex(channel, stream, buffer, sizeof buffer);
    if (n == LIBSSH2_ERROR_EAGAIN || n == 0) return got;
    if (n < 0) {
      error = std::unexpected(c.last_error("read hook output", {}));
      return got;
    }
    got = true;
    const size_t room = kMaxCommandOutput - std::min(kMaxCommandOutput, out.size());
    out.append(buffer, std::min(static_cast<size_t>(n), room));
  }
}

// Hands what the channel has on stdout to `out`; false when nothing was there.
bool stream_out(LIBSSH2_CHANNEL* channel, const OutputSink& out, Result<>& error,
                SshConnection& c) {
  bool got = false;
  char buffer[64 * 1024];
  while (error) {
    const ssize_t n = libssh2_channel_read_ex(channel, 0, buffer, sizeof buffer);
    if (n == LIBSSH2_ERROR_EAGAIN || n == 0) return got;
    if (n < 0) {
      error = std::unexpected(c.last_error("read dump output", {}));
      return got;
    }
    got = true;
    error = out({buffer, static_cast<size_t>(n)});
  }
  return got;
}

// How the channel ended: its exit status, or the signal that killed the command.
void read_exit(SshConnection& c, LIBSSH2_CHANNEL* ch, CommandOutcome& outcome) {
  while (libssh2_channel_close(ch) == LIBSSH2_ERROR_EAGAIN) wait_briefly(c);
  while (libssh2_channel_wait_closed(ch) == LIBSSH2_ERROR_EAGAIN) wait_briefly(c);
  outcome.exit_code = libssh2_channel_get_exit_status(ch);
  char* signal = nullptr;
  size_t signal_len = 0;
  libssh2_channel_get_exit_signal(ch, &signal, &signal_len, nullptr, nullptr, nullptr, nullptr);
  if (signal != nullptr) {
    outcome.exit_code = -1;
    outcome.signal = 9;
    libssh2_free(c.session(), signal);
  }
  if (outcome.exit_code == 124 || outcome.exit_code == 137) outcome.timed_out = true;
}

}  // namespace

std::string hook_command_line(const std::string& command, const std::vector<std::string>& env,
                              std::chrono::seconds timeout) {
  std::string line;
  for (const auto& entry : env) {
    const auto eq = entry.find('=');
    line += entry.substr(0, eq) + "=" + shell_quote(entry.substr(eq + 1)) + " ";
  }
  // TERM at the limit, KILL five seconds later; the whole group, as timeout(1) does.
  return line + "timeout -k 5 " + std::to_string(timeout.count()) + " /bin/sh -c " +
         shell_quote(command);
}

Result<CommandOutcome> run_on_node(SshConnection& c, const std::string& command,
                                   const std::vector<std::string>& env,
                                   std::chrono::seconds timeout) {
  KeepBlockingMode mode(c.session());
  auto channel = start_remote(c, hook_command_line(command, env, timeout));
  if (!channel) return std::unexpected(channel.error());
  LIBSSH2_CHANNEL* ch = channel->get();
  while (libssh2_channel_send_eof(ch) == LIBSSH2_ERROR_EAGAIN) wait_briefly(c);
  // The node kills it at `timeout`; this side gives up a little later, should the node (or
  // the link) stop answering altogether.
  const auto deadline = Clock::now() + timeout + std::chrono::seconds(10) + c.timeout();
  CommandOutcome outcome;
  Result<> error;
  while (!libssh2_channel_eof(ch)) {
    const bool out = drain(ch, 0, outcome.output, error, c);
    const bool err = drain(ch, SSH_EXTENDED_DATA_STDERR, outcome.output, error, c);
    if (!error) return std::unexpected(error.error());
    if (Clock::now() > deadline) {
      outcome.timed_out = true;
      return outcome;  // the channel is freed; the connection may be unusable after this
    }
    if (!out && !err) wait_briefly(c);
  }
  drain(ch, 0, outcome.output, error, c);
  drain(ch, SSH_EXTENDED_DATA_STDERR, outcome.output, error, c);
  read_exit(c, ch, outcome);
  return outcome;
}

Result<CommandOutcome> stream_on_node(SshConnection& c, const std::string& command,
                                      std::chrono::seconds timeout, const OutputSink& out,
                                      const std::function<bool()>& cancelled) {
  KeepBlockingMode mode(c.session());
  auto channel = start_remote(c, hook_command_line(command, {}, timeout));
  if (!channel) return std::unexpected(channel.error());
  LIBSSH2_CHANNEL* ch = channel->get();
  while (libssh2_channel_send_eof(ch) == LIBSSH2_ERROR_EAGAIN) wait_briefly(c);
  const auto deadline = Clock::now() + timeout + std::chrono::seconds(10) + c.timeout();
  CommandOutcome outcome;
  Result<> error;
  while (!libssh2_channel_eof(ch)) {
    const bool got = stream_out(ch, out, error, c);
    const bool err = drain(ch, SSH_EXTENDED_DATA_STDERR, outcome.output, error, c);
    if (!error) return std::unexpected(error.error());  // the channel is freed: the command ends
    if (cancelled && cancelled()) return fail("run", c.where(), ECANCELED, "cancelled", true);
    if (Clock::now() > deadline) {
      outcome.timed_out = true;
      return outcome;
    }
    if (!got && !err) wait_briefly(c);
  }
  stream_out(ch, out, error, c);
  drain(ch, SSH_EXTENDED_DATA_STDERR, outcome.output, error, c);
  if (!error) return std::unexpected(error.error());
  read_exit(c, ch, outcome);
  return outcome;
}

Result<CommandOutcome> feed_on_node(
    SshConnection& c, const std::string& command,
    const std::function<Result<>(const OutputSink& write)>& produce) {
  KeepBlockingMode mode(c.session());
  auto channel = start_remote(c, command);
  if (!channel) return std::unexpected(channel.error());
  LIBSSH2_CHANNEL* ch = channel->get();
  CommandOutcome outcome;
  Result<> error;
  const auto drain_both = [&] {
    const bool out = drain(ch, 0, outcome.output, error, c);
    const bool err = drain(ch, SSH_EXTENDED_DATA_STDERR, outcome.output, error, c);
    return out || err;
  };
  const OutputSink write = [&](std::string_view data) -> Result<> {
    auto last_progress = Clock::now();
    while (!data.empty()) {
      const ssize_t n = libssh2_channel_write(ch, data.data(), data.size());
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
        last_progress = Clock::now();
        continue;
      }
      if (n != LIBSSH2_ERROR_EAGAIN) return std::unexpected(c.last_error("send to node", {}));
      const bool got = drain_both();
      if (!error) return error;
      if (libssh2_channel_eof(ch)) {
        return fail("send to node", c.where(), EPIPE,
                    "the command ended before reading its input: " + outcome.output.substr(0, 400));
      }
      if (Clock::now() - last_progress > c.timeout()) {
        return fail("send to node", c.where(), ETIMEDOUT,
                    "the node read nothing for " + std::to_string(c.timeout().count()) + " s",
                    true);
      }
      if (!got) wait_briefly(c);
    }
    return {};
  };
  if (auto r = produce(write); !r) return std::unexpected(r.error());
  while (libssh2_channel_send_eof(ch) == LIBSSH2_ERROR_EAGAIN) wait_briefly(c);
  // The command may work long after its input ended, saying nothing; a node that neither
  // answers nor ends within this is given up on.
  constexpr auto kQuietLimit = std::chrono::hours(1);
  auto last_heard = Clock::now();
  while (!libssh2_channel_eof(ch)) {
    const bool got = drain_both();
    if (!error) return std::unexpected(error.error());
    if (got) last_heard = Clock::now();
    if (Clock::now() - last_heard > kQuietLimit) {
      return fail("run", c.where(), ETIMEDOUT, "the node said nothing for an hour", true);
    }
    if (!got) wait_briefly(c);
  }
  drain_both();
  read_exit(c, ch, outcome);
  return outcome;
}

}  // namespace nb::fs::ssh
