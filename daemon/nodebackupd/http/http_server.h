// The dashboard's HTTP listener (DESIGN §9 "Seeing"): Boost.Beast on the daemon's io_context,
// plain on loopback or TLS beyond it. Like the control socket, no client can stall the daemon:
// a request must arrive whole within a deadline, its header is bounded (a larger one is refused,
// not buffered), a response the client does not read is abandoned after a deadline, and at
// kMaxConnections the connection idle longest is dropped to admit a new one. Requests are
// answered by a handler that may reply later (from work done off the event loop).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "config/http_settings.h"
#include "util/error.h"

namespace nb::daemon::http {

inline constexpr size_t kMaxConnections = 256;
inline constexpr size_t kMaxHeaderBytes = 16 * 1024;
// For the request line and header, and for the TLS handshake before it.
inline constexpr std::chrono::seconds kRequestDeadline{10};
// For a response to be taken by the client (a file download may be large).
inline constexpr std::chrono::seconds kWriteDeadline{60};

// Requests carry no body: everything served is read-only.
using Request = boost::beast::http::request<boost::beast::http::empty_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;
// Called once with the response; dropped if the client has gone meanwhile. Any thread may
// hold it, but it must be called on the event loop. `sent` (optional) runs on the event loop
// once the response is written, or abandoned with its client: what a large response holds
// (memory, a slot) is known to be free again.
class Responder {
 public:
  using Send = std::function<void(Response, std::function<void()>)>;
  explicit Responder(Send send) : send_(std::move(send)) {}
  void operator()(Response response, std::function<void()> sent = {}) const {
    send_(std::move(response), std::move(sent));
  }

 private:
  Send send_;
};
using RequestHandler = std::function<void(const Request& request, Responder respond)>;

// One client connection as the server sees it, for eviction and shutdown.
class HttpConnection {
 public:
  virtual ~HttpConnection() = default;
  virtual void close() = 0;
  // Since when it has been waiting for a request; empty while one is being served.
  virtual std::optional<std::chrono::steady_clock::time_point> idle_since() const = 0;
};

class HttpServer {
 public:
  // Binds the listen address of `settings`, with TLS when it names a certificate (loaded now,
  // so a bad file fails the start rather than the first client).
  static Result<std::unique_ptr<HttpServer>> bind(boost::asio::io_context& io,
                                                  const config::HttpSettings& settings,
                                                  RequestHandler handler);
  ~HttpServer();

  // Stops accepting and closes every connection.
  void close();

  // The port bound (the configured one, or the kernel's choice for port 0).
  uint16_t port() const { return port_; }

  // Internal, for connections.
  void handle(const Request& request, Responder respond) { handler_(request, std::move(respond)); }
  void track(HttpConnection* connection) { connections_.insert(connection); }
  void forget(HttpConnection* connection) { connections_.erase(connection); }

 private:
  HttpServer(boost::asio::io_context& io, RequestHandler handler);
  void accept();
  void admit(boost::asio::ip::tcp::socket socket);
  bool drop_idlest();

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_;
  RequestHandler handler_;
  std::optional<boost::asio::ssl::context> tls_;
  std::set<HttpConnection*> connections_;
  uint16_t port_ = 0;
  bool closed_ = false;
};

}  // namespace nb::daemon::http
