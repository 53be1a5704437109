#include "nodebackupd/control_server.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "nodebackupd/control_session.h"
#include "util/file.h"

namespace nb::daemon {

namespace asio = boost::asio;
using stream = asio::local::stream_protocol;

namespace {

// Whether something accepts connections at `path`: then it is not ours to replace.
bool someone_listens(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ::sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
  return ::connect(fd.get(), reinterpret_cast<::sockaddr*>(&addr), sizeof(addr)) == 0;
}

// Tells a client that cannot be served why, without waiting for it: the socket is
// non-blocking and a client that does not read simply misses the message.
void refuse(stream::socket& socket, const std::string& why) {
  const std::string line = nlohmann::json{{"ok", false}, {"error", why}}.dump() + "\n";
  boost::system::error_code ec;
  socket.non_blocking(true, ec);
  socket.write_some(asio::buffer(line), ec);
  socket.close(ec);
}

}  // namespace

ControlServer::ControlServer(asio::io_context& io, std::string path, RequestHandler handler)
    : acceptor_(io), retry_(io), path_(std::move(path)), handler_(std::move(handler)) {}

ControlServer::~ControlServer() {
  close();
}

Result<std::unique_ptr<ControlServer>> ControlServer::bind(asio::io_context& io,
                                                           const std::string& path,
                                                           RequestHandler handler) {
  if (path.size() >= sizeof(::sockaddr_un::sun_path)) {
    return fail("bind control socket", path, 0, "path too long for a Unix socket");
  }
  struct ::stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return fail("bind control socket", path, 0, "exists and is not a socket");
    }
    if (someone_listens(path)) {
      return fail("bind control socket", path, 0, "another daemon answers on it");
    }
    ::unlink(path.c_str());  // left by a daemon that died
  }
  std::unique_ptr<ControlServer> server(new ControlServer(io, path, std::move(handler)));
  boost::system::error_code ec;
  server->acceptor_.open(stream(), ec);
  // 0660 from the start: there is no moment when others could connect.
  const mode_t old_mask = ::umask(0117);
  if (!ec) server->acceptor_.bind(stream::endpoint(path), ec);
  ::umask(old_mask);
  if (!ec) server->acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("bind control socket", path, ec.value(), ec.message());
  server->socket_gid_ = ::lstat(path.c_str(), &st) == 0 ? st.st_gid : ::getegid();
  server->accept();
  return server;
}

void ControlServer::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  retry_.cancel();
  ::unlink(path_.c_str());
  const auto sessions = sessions_;
  sessions_.clear();
  for (auto* session : sessions) session->close();
}

bool ControlServer::peer_allowed(uid_t uid, gid_t gid, const std::vector<gid_t>& groups) const {
  return uid == 0 || uid == ::geteuid() || gid == socket_gid_ ||
         std::find(groups.begin(), groups.end(), socket_gid_) != groups.end();
}

bool ControlServer::drop_idlest() {
  ControlSession* idlest = nullptr;
  for (auto* session : sessions_) {
    const auto since = session->idle_since();
    if (since && (idlest == nullptr || *since < *idlest->idle_since())) idlest = session;
  }
  if (idlest == nullptr) return false;  // every session is being served: refuse the newcomer
  idlest->close();                      // forgets itself
  return true;
}

void ControlServer::accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, stream::socket socket) {
    if (closed_) return;
    if (ec) {
      // EMFILE and friends: log, and try again shortly rather than spin on the error.
      spdlog::warn("control socket {}: accept failed: {}", path_, ec.message());
      retry_.expires_after(std::chrono::milliseconds(200));
      retry_.async_wait([this](const boost::system::error_code& wait_ec) {
        if (!wait_ec && !closed_) accept();
      });
      return;
    }
    if (sessions_.size() >= kMaxSessions && !drop_idlest()) {
      refuse(socket, "too many clients; try again");
    } else {
      auto session = std::make_shared<ControlSession>(*this, std::move(socket));
      sessions_.insert(session.get());
      session->start();
    }
    accept();
  });
}

}  // namespace nb::daemon
