#include "nodebackupd/control_session.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cerrno>

#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

namespace nb::daemon {

namespace asio = boost::asio;

namespace {

// A client that reads none of its replies cannot make the daemon buffer without bound.
constexpr size_t kMaxQueuedReplies = 4096;

// Keeps its session alive while a reply is due (a diff or a run a client waits for has no
// socket operation pending meanwhile); a closed session drops what it is sent.
class SessionReply final : public ReplyChannel {
 public:
  explicit SessionReply(std::shared_ptr<ControlSession> session) : session_(std::move(session)) {}
  void send(const nlohmann::json& reply, bool last) override { session_->send(reply, last); }

 private:
  std::shared_ptr<ControlSession> session_;
};

nlohmann::json error_reply(const std::string& why) {
  return {{"ok", false}, {"error", why}};
}

}  // namespace

ControlSession::ControlSession(ControlServer& server, asio::local::stream_protocol::socket socket)
    : server_(&server),
      socket_(std::move(socket)),
      deadline_(socket_.get_executor()),
      input_(kMaxRequestBytes) {}

ControlSession::~ControlSession() {
  if (server_ != nullptr) server_->forget(this);
}

void ControlSession::start() {
  ::ucred cred{};
  ::socklen_t len = sizeof(cred);
  const bool known =
      ::getsockopt(socket_.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0;
  if (!known || !server_->peer_allowed(cred.uid, cred.gid, peer_groups())) {
    spdlog::warn(
        "control socket: refused a client with uid {} gid {} (not root, the daemon's "
        "user, or the socket's group)",
        cred.uid, cred.gid);
    closing_after_write_ = true;
    send(error_reply("permission denied: not root, the daemon's user, or the socket's group"),
         true);
    return;
  }
  read_request();
}

// The peer's supplementary groups as the kernel recorded them at connect (SO_PEERGROUPS), so
// an admin whose secondary group is the socket's is let in without a user database lookup.
std::vector<gid_t> ControlSession::peer_groups() {
  std::vector<gid_t> groups(64);
  for (;;) {
    ::socklen_t len = static_cast<::socklen_t>(groups.size() * sizeof(gid_t));
    if (::getsockopt(socket_.native_handle(), SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) ==
        0) {
      groups.resize(len / sizeof(gid_t));
      return groups;
    }
    if (errno != ERANGE || groups.size() >= 65536) return {};
    groups.resize(len / sizeof(gid_t) + 1);
  }
}

void ControlSession::close() {
  if (closed_) return;
  closed_ = true;
  if (server_ != nullptr) server_->forget(this);
  server_ = nullptr;
  boost::system::error_code ec;
  deadline_.cancel();
  socket_.close(ec);
}

void ControlSession::read_request() {
  if (closed_) return;
  // A client gets a while to send its request; one that connects and says nothing is
  // disconnected, so it cannot hold a session slot forever.
  idle_since_ = std::chrono::steady_clock::now();
  deadline_.expires_after(kRequestDeadline);
  deadline_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->close();
  });
  asio::async_read_until(socket_, input_, '\n',
                         [self = shared_from_this()](const boost::system::error_code& ec,
                                                     size_t bytes) { self->on_line(ec, bytes); });
}

void ControlSession::on_line(const boost::system::error_code& ec, size_t bytes) {
  deadline_.cancel();
  if (closed_) return;
  if (ec == asio::error::not_found) {
    closing_after_write_ = true;  // the rest of that line cannot be told from a new request
    send(error_reply("request longer than 64 KiB"), true);
    return;
  }
  if (ec) {
    close();  // end of file or a broken connection: the client went away
    return;
  }
  idle_since_.reset();
  std::string line(asio::buffers_begin(input_.data()), asio::buffers_begin(input_.data()) + bytes);
  input_.consume(bytes);
  line.pop_back();
  dispatch(line);
}

void ControlSession::dispatch(const std::string& line) {
  const auto request = parse_control_request(line);
  if (!request) {
    send(error_reply(request.error().detail()), true);
    return;
  }
  if (server_ == nullptr) return;
  // The boundary between one client and the daemon: a request that makes a handler throw
  // (a bug, or a JSON value of a shape no handler expected) gets an error reply, and the
  // event loop that serves everyone else goes on.
  try {
    server_->handle(*request, std::make_shared<SessionReply>(shared_from_this()));
  } catch (const std::exception& e) {
    spdlog::error("control socket: request failed: {}", e.what());
    send(error_reply(std::string("internal error: ") + e.what()), true);
  }
}

void ControlSession::send(const nlohmann::json& reply, bool last) {
  if (closed_) return;
  if (output_.size() >= kMaxQueuedReplies) {
    spdlog::warn("control socket: dropped a client that does not read its replies");
    close();
    return;
  }
  output_.push_back(reply.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  if (last && !closing_after_write_) {
    // The next request may be read while this reply is still being written.
    read_request();
  }
  write_next();
}

void ControlSession::write_next() {
  if (writing_ || closed_) return;
  if (output_.empty()) {
    if (closing_after_write_) close();
    return;
  }
  writing_ = true;
  asio::async_write(socket_, asio::buffer(output_.front()),
                    [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                      self->writing_ = false;
                      if (ec) {
                        self->close();
                        return;
                      }
                      self->output_.pop_front();
                      self->write_next();
                    });
}

}  // namespace nb::daemon
