#include "fs/ssh/remote_session.h"

#include <libssh2.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <random>

#include "fs/ssh/find_records.h"
#include "fs/ssh/remote_command.h"

namespace nb::fs::ssh {

namespace {

constexpr size_t kMaxStartupOutput = 1 << 20;
constexpr size_t kMaxErr = 256 << 10;
constexpr size_t kReadChunk = 256 << 10;

std::string random_token() {
  std::random_device rd;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string t = "nb-";
  for (int i = 0; i < 24; ++i) t += kHex[rd() % 16];
  return t;
}

// The loop the node runs. POSIX sh only: `read` takes the request line byte by byte, and GNU
// head -c takes exactly the payload, so the next request stays on stdin for the next round.
// A tool's stderr is captured ($(…) 2>&1) while its stdout goes straight out through fd 4.
std::string loop_script(const std::string& token, bool check_tools) {
  // Every xattr namespace the login may read (ACLs come as system.posix_acl_*), holes as
  // sparse maps, and the content under every name of a hard-linked file: a restore of one
  // path must not depend on another being in the same archive.
  const std::string tar =
      "tar --null --verbatim-files-from --no-recursion --absolute-names --format=posix "
      "--xattrs --xattrs-include='*' --sparse --hard-dereference -c -f - -T -";
  std::string s = "LC_ALL=C; export LC_ALL\nT=";
  s += token;
  s += "\nF='";
  s += kFindFormat;
  s += "'\n";
  if (check_tools) {
    s += "g=other\n"
         "case \"$(find --version 2>/dev/null; tar --version 2>/dev/null; "
         "head --version 2>/dev/null)\" in\n"
         "*'GNU findutils'*'GNU tar'*'GNU coreutils'*) g=gnu;;\n"
         "esac\n";
  } else {
    s += "g=unchecked\n";
  }
  s += "printf '\\n%s ready %s\\n' \"$T\" \"$g\"\n"
       "while read -r op n; do\n"
       "case $n in ''|*[!0-9]*) exit 2;; esac\n"
       "case $op in\n"
       // One path: read into a variable (the x keeps trailing newlines), no xargs.
       "walk) p=$(head -c \"$n\"; echo x); p=${p%x}\n"
       "{ e=$(find \"$p\" -printf \"$F\" 2>&1 >&4); } 4>&1;;\n"
       "walkx) p=$(head -c \"$n\"; echo x); p=${p%x}\n"
       "{ e=$(find \"$p\" -xdev -printf \"$F\" 2>&1 >&4); } 4>&1;;\n"
       "stat) { e=$(head -c \"$n\" | xargs -0 -r sh -c "
       "'exec find \"$@\" -maxdepth 0 -printf \"$0\"' \"$F\" 2>&1 >&4); } 4>&1;;\n"
       "tar) { e=$(head -c \"$n\" | ";
  s += tar;
  s += " 2>&1 >&4); } 4>&1;;\n"
       "*) exit 2;;\n"
       "esac\n"
       "r=$?\n"
       "printf '\\n%s %d %d\\n%s' \"$T\" \"$r\" \"${#e}\" \"$e\"\n"
       "done\n";
  return s;
}

}  // namespace

RemoteSession::RemoteSession(SshConnection& c, ChannelHandle channel, std::string token)
    : c_(c), channel_(std::move(channel)), token_(std::move(token)) {}

RemoteSession::~RemoteSession() {
  // Closing stdin ends the loop; the channel is freed by its handle (blocking, bounded by the
  // connection's timeout).
  if (usable_) {
    NonBlocking nb(c_);
    while (libssh2_channel_send_eof(channel_.get()) == LIBSSH2_ERROR_EAGAIN) {
      if (!wait_socket(c_)) break;
    }
  }
}

Error RemoteSession::broken(const std::string& why) {
  usable_ = false;
  std::string msg = why;
  if (!last_err_.empty()) msg += "; the node's shell said: " + last_err_.substr(0, 300);
  return Error("exec session", c_.where(), EPROTO, msg, true);
}

Result<RemoteSession::Started> RemoteSession::start(SshConnection& c, bool check_tools) {
  const std::string token = random_token();
  NonBlocking nb(c);
  auto channel = start_remote(c, "/bin/sh -c " + shell_quote(loop_script(token, check_tools)));
  if (!channel) return std::unexpected(channel.error());
  std::unique_ptr<RemoteSession> s(new RemoteSession(c, std::move(*channel), token));
  // Whatever the login shell's start-up files print comes first: skipped up to the token.
  const std::string ready = "\n" + token + " ready ";
  for (;;) {
    const auto at = s->in_.find(ready);
    if (at != std::string::npos) {
      const auto nl = s->in_.find('\n', at + ready.size());
      if (nl != std::string::npos) {
        const bool gnu = s->in_.substr(at + ready.size(), nl - at - ready.size()) == "gnu";
        s->in_.erase(0, nl + 1);
        return Started{std::move(s), gnu};
      }
    }
    if (s->in_.size() > kMaxStartupOutput) {
      return std::unexpected(s->broken("the shell's start-up printed more than 1 MiB"));
    }
    if (auto r = s->pump(); !r) return std::unexpected(r.error());
  }
}

void RemoteSession::request(std::string_view op, std::string_view payload) {
  out_.append(op);
  out_ += ' ';
  out_ += std::to_string(payload.size());
  out_ += '\n';
  out_.append(payload);
  ++unanswered_;
}

Result<> RemoteSession::pump() {
  if (!usable_) return std::unexpected(broken("used after an error"));
  LIBSSH2_CHANNEL* ch = channel_.get();
  for (;;) {
    bool progress = false;
    if (!out_.empty()) {
      const ssize_t n = libssh2_channel_write(ch, out_.data(), out_.size());
      if (n > 0) {
        out_.erase(0, static_cast<size_t>(n));
        progress = true;
      } else if (n != LIBSSH2_ERROR_EAGAIN) {
        usable_ = false;
        return std::unexpected(c_.last_error("exec session", {}));
      }
    }
    char buf[16 << 10];
    const ssize_t err = libssh2_channel_read_stderr(ch, buf, sizeof buf);
    if (err > 0) {
      last_err_.append(buf, static_cast<size_t>(err));
      if (last_err_.size() > 4096) last_err_.erase(0, last_err_.size() - 4096);
      progress = true;
    }
    // Into a buffer kept for the session: growing in_ by a read's size would zero 256 KiB on
    // every read of a stream.
    read_buffer_.resize(kReadChunk);
    const ssize_t n = libssh2_channel_read(ch, read_buffer_.data(), read_buffer_.size());
    if (n > 0) {
      in_.append(read_buffer_.data(), static_cast<size_t>(n));
      return {};
    }
    if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
      usable_ = false;
      return std::unexpected(c_.last_error("exec session", {}));
    }
    if (libssh2_channel_eof(ch)) return std::unexpected(broken("the node's shell ended"));
    if (!progress && !wait_socket(c_)) {
      usable_ = false;
      return fail("exec session", c_.where(), ETIMEDOUT,
                  "no answer for " + std::to_string(c_.timeout().count()) + " s", true);
    }
  }
}

Result<> RemoteSession::read_trailer(Trailer& out) {
  // "\n" TOKEN " " STATUS " " LEN "\n", then LEN bytes.
  const std::string head = "\n" + token_ + " ";
  size_t nl;
  while ((nl = in_.find('\n', 1)) == std::string::npos) {
    if (in_.size() > head.size() + 64) break;
    if (auto r = pump(); !r) return r;
  }
  if (nl == std::string::npos || !in_.starts_with(head)) {
    return std::unexpected(broken("a reply did not end with the session's trailer"));
  }
  const std::string_view line = std::string_view(in_).substr(head.size(), nl - head.size());
  const auto space = line.find(' ');
  int status = 0;
  uint64_t len = 0;
  if (space == std::string_view::npos ||
      std::from_chars(line.data(), line.data() + space, status).ec != std::errc{} ||
      std::from_chars(line.data() + space + 1, line.data() + line.size(), len).ptr !=
          line.data() + line.size()) {
    return std::unexpected(broken("a malformed trailer"));
  }
  in_.erase(0, nl + 1);
  out.exit_status = status;
  out.err.clear();
  while (len > 0) {
    if (in_.empty()) {
      if (auto r = pump(); !r) return r;
      continue;
    }
    const size_t take = static_cast<size_t>(std::min<uint64_t>(len, in_.size()));
    if (out.err.size() < kMaxErr) out.err.append(in_, 0, std::min(take, kMaxErr - out.err.size()));
    in_.erase(0, take);
    len -= take;
  }
  return {};
}

Result<Trailer> RemoteSession::reply(const BodyReader& body) {
  if (unanswered_ == 0) return std::unexpected(broken("a reply read with no request"));
  --unanswered_;
  NonBlocking nb(c_);
  for (;;) {
    if (in_.empty()) {
      if (auto r = pump(); !r) return std::unexpected(r.error());
      continue;
    }
    auto used = body(in_);
    if (!used) {
      usable_ = false;  // the rest of this body is still on the stream
      return std::unexpected(used.error());
    }
    const bool ended = *used < in_.size();
    in_.erase(0, *used);
    if (ended) break;
  }
  Trailer t;
  if (auto r = read_trailer(t); !r) return std::unexpected(r.error());
  return t;
}

Result<Trailer> RemoteSession::reply_tar(const TarBody& body) {
  if (unanswered_ == 0) return std::unexpected(broken("a reply read with no request"));
  --unanswered_;
  NonBlocking nb(c_);
  // The parser keeps a view of what it was given until it asks again, and may have asked for
  // more than the archive: the last two pieces are kept to put its unread end back.
  std::string held[2];
  uint64_t given = 0;
  const auto next = [&]() -> Result<std::string_view> {
    while (in_.empty()) {
      if (auto r = pump(); !r) return std::unexpected(r.error());
    }
    held[0] = std::move(held[1]);
    held[1] = std::move(in_);
    in_.clear();
    given += held[1].size();
    return std::string_view(held[1]);
  };
  auto used = body(next);
  if (!used) {
    usable_ = false;  // the rest of this body is still on the stream
    return std::unexpected(used.error());
  }
  const uint64_t unread = given - std::min(*used, given);
  if (*used > given || unread > held[0].size() + held[1].size()) {
    return std::unexpected(broken("the tar reader lost its place in the stream"));
  }
  std::string back = held[0] + held[1];
  in_.insert(0, back, back.size() - static_cast<size_t>(unread));
  // The last record's zero padding, then the trailer's "\n".
  for (;;) {
    if (in_.empty()) {
      if (auto r = pump(); !r) return std::unexpected(r.error());
      continue;
    }
    const size_t end = in_.find_first_not_of('\0');
    if (end == std::string::npos) {
      in_.clear();
      continue;
    }
    in_.erase(0, end);
    if (in_[0] != '\n') {
      return std::unexpected(broken("data after the end of a tar archive"));
    }
    break;
  }
  Trailer t;
  if (auto r = read_trailer(t); !r) return std::unexpected(r.error());
  return t;
}

BodyReader find_body(const std::function<Result<>(std::string_view)>& records) {
  // A record is three NUL-terminated parts; `nuls` counts them across chunks.
  auto nuls = std::make_shared<uint64_t>(0);
  auto at_boundary = std::make_shared<bool>(true);
  return [records, nuls, at_boundary](std::string_view chunk) -> Result<size_t> {
    size_t i = 0;
    for (; i < chunk.size(); ++i) {
      if (*at_boundary && chunk[i] == '\n') break;
      *at_boundary = false;
      if (chunk[i] == '\0') *at_boundary = ++*nuls % 3 == 0;
    }
    if (i > 0) {
      if (auto r = records(chunk.substr(0, i)); !r) return std::unexpected(r.error());
    }
    return i;
  };
}

}  // namespace nb::fs::ssh
