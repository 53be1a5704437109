// The control socket (DESIGN §7): a Unix stream socket, mode 0660, one JSON object per line
// each way. Peers are checked with SO_PEERCRED. No client can stall or crash the daemon:
// requests are bounded (64 KiB), a client must send its request within a deadline, one that
// stops reading its replies is dropped, and at kMaxSessions connections the one that has
// waited longest without sending a request is dropped to admit the new one (so idle clients
// cannot lock an operator out); only when every session is being served is a new one refused.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "common/control_request.h"
#include "util/error.h"

namespace nb::daemon {

inline constexpr size_t kMaxRequestBytes = 64 * 1024;
inline constexpr size_t kMaxSessions = 128;
inline constexpr std::chrono::seconds kRequestDeadline{10};

// Where a request's replies go. A request gets one or more replies; the last one (`last`)
// lets the client send its next request. Replies to a client that has gone are dropped.
class ReplyChannel {
 public:
  virtual ~ReplyChannel() = default;
  virtual void send(const nlohmann::json& reply, bool last) = 0;
};

using RequestHandler =
    std::function<void(const ControlRequest& request, std::shared_ptr<ReplyChannel> reply)>;

class ControlSession;

class ControlServer {
 public:
  // Binds `path` (replacing a stale socket file, refusing when a daemon answers there).
  static Result<std::unique_ptr<ControlServer>> bind(boost::asio::io_context& io,
                                                     const std::string& path,
                                                     RequestHandler handler);
  ~ControlServer();

  // Stops accepting and closes every session.
  void close();

  // Internal, for sessions.
  // Root, the daemon's own user, or a member (primary or supplementary) of the socket's group.
  bool peer_allowed(uid_t uid, gid_t gid, const std::vector<gid_t>& groups) const;
  void handle(const ControlRequest& request, std::shared_ptr<ReplyChannel> reply) {
    handler_(request, std::move(reply));
  }
  void forget(ControlSession* session) { sessions_.erase(session); }

 private:
  ControlServer(boost::asio::io_context& io, std::string path, RequestHandler handler);
  void accept();
  // Closes the session idle longest; false when none is idle.
  bool drop_idlest();

  boost::asio::local::stream_protocol::acceptor acceptor_;
  boost::asio::steady_timer retry_;
  std::string path_;
  RequestHandler handler_;
  gid_t socket_gid_ = 0;
  std::set<ControlSession*> sessions_;
  bool closed_ = false;
};

}  // namespace nb::daemon
