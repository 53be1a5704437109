// One long-lived remote shell per connection, speaking a small framed protocol on its stdin and
// stdout, so a backup run pays the node's shell start-up (a login shell that sources ~/.bashrc:
// pyenv, cargo, a banner) once per connection instead of once per batch, and requests go out
// ahead of the replies (no turn-around per batch over a long link).
//
// The node runs /bin/sh with a loop. A request is a line "OP N" followed by N bytes of
// NUL-separated paths; OP is `walk` (find PATH -printf), `stat` (find PATHS -maxdepth 0
// -printf) or `tar` (GNU tar of PATHS, pax format). The loop starts the tool (a fork and exec,
// no login shell), its stdout is the reply's body, and after it the loop writes a trailer:
//   "\n" TOKEN " " EXIT_STATUS " " LEN "\n" followed by LEN bytes of the tool's stderr.
// TOKEN is random per session, so what a start-up file prints before the loop begins is
// skipped, and a trailer cannot be produced by accident. A body ends where its own format
// says (a find record boundary, the end of a tar archive and its zero padding) and a "\n"
// follows; anything else is a protocol error, and the session is not used again.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fs/ssh/ssh_connection.h"

namespace nb::fs::ssh {

// How a reply's body is read: called with each chunk of the body, returns how many bytes of it
// belong to the body. Returning fewer than the chunk's size ends the body: the rest is the
// trailer's.
using BodyReader = std::function<Result<size_t>(std::string_view chunk)>;

struct Trailer {
  int exit_status = -1;
  std::string err;  // the tool's stderr (at most 256 KiB)
};

class RemoteSession {
 public:
  // Starts the loop on `c` (which must outlive the session) and waits for it to be ready.
  // With `check_tools`, `gnu` tells whether the node has GNU find, tar and head, which the
  // requests rely on (three version commands: a node's second session skips them).
  struct Started;
  static Result<Started> start(SshConnection& c, bool check_tools = true);
  ~RemoteSession();

  // Queues a request; it is written while replies are read.
  void request(std::string_view op, std::string_view payload);
  // Reads the reply to the oldest request not yet answered.
  Result<Trailer> reply(const BodyReader& body);
  // The same for a tar archive, read by a parser that pulls its input (read_tar). The zero
  // padding of the archive's last record is skipped; anything else after the archive is a
  // protocol error.
  using TarBody = std::function<Result<uint64_t>(const std::function<Result<std::string_view>()>&)>;
  Result<Trailer> reply_tar(const TarBody& body);

  // False once an I/O or protocol error made the stream unusable.
  bool usable() const { return usable_; }
  // Requests whose replies were not read (a caller that stopped early leaves some).
  size_t unanswered() const { return unanswered_; }
  SshConnection& connection() { return c_; }

 private:
  RemoteSession(SshConnection& c, ChannelHandle channel, std::string token);
  // Writes pending requests and reads what has arrived into in_; false on error or timeout.
  Result<> pump();
  Result<> read_trailer(Trailer& out);
  Error broken(const std::string& why);

  SshConnection& c_;
  ChannelHandle channel_;
  std::string token_;
  std::string out_;  // requests not yet written
  std::string in_;   // bytes read and not yet consumed
  std::vector<char> read_buffer_;
  std::string last_err_;  // the tail of the loop's own stderr, for errors
  size_t unanswered_ = 0;
  bool usable_ = true;
};

struct RemoteSession::Started {
  std::unique_ptr<RemoteSession> session;
  bool gnu = false;
};

// find -printf records (fields NUL-terminated, kFindFormat): the body ends at a record boundary
// followed by "\n", which no record starts with.
BodyReader find_body(const std::function<Result<>(std::string_view)>& records);

}  // namespace nb::fs::ssh
