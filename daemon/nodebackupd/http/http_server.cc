#include "nodebackupd/http/http_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/ip/address.hpp>

#include "nodebackupd/http/http_session.h"

namespace nb::daemon::http {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// Tells a client that cannot be admitted why, without waiting for it: the socket is
// non-blocking and a client that does not read simply misses the message.
void refuse(tcp::socket& socket) {
  static const std::string kBusy =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  boost::system::error_code ec;
  socket.non_blocking(true, ec);
  socket.write_some(asio::buffer(kBusy), ec);
  socket.close(ec);
}

Result<asio::ssl::context> tls_context(const config::HttpSettings& settings) {
  asio::ssl::context tls(asio::ssl::context::tls_server);
  tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                  asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                  asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  boost::system::error_code ec;
  tls.use_certificate_chain_file(*settings.tls_cert, ec);
  if (ec) return fail("load TLS certificate", *settings.tls_cert, 0, ec.message());
  tls.use_private_key_file(*settings.tls_key, asio::ssl::context::pem, ec);
  if (ec) return fail("load TLS key", *settings.tls_key, 0, ec.message());
  return tls;
}

}  // namespace

HttpServer::HttpServer(asio::io_context& io, RequestHandler handler)
    : acceptor_(io), retry_(io), handler_(std::move(handler)) {}

HttpServer::~HttpServer() {
  close();
}

Result<std::unique_ptr<HttpServer>> HttpServer::bind(asio::io_context& io,
                                                     const config::HttpSettings& settings,
                                                     RequestHandler handler) {
  std::unique_ptr<HttpServer> server(new HttpServer(io, std::move(handler)));
  if (settings.tls_cert) {
    auto tls = tls_context(settings);
    if (!tls) return std::unexpected(tls.error());
    server->tls_.emplace(std::move(*tls));
  }
  boost::system::error_code ec;
  const auto address = settings.host == "localhost" ? asio::ip::make_address("127.0.0.1", ec)
                                                    : asio::ip::make_address(settings.host, ec);
  const tcp::endpoint endpoint(address, static_cast<uint16_t>(settings.port));
  if (!ec) server->acceptor_.open(endpoint.protocol(), ec);
  if (!ec) server->acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) server->acceptor_.bind(endpoint, ec);
  if (!ec) server->acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen for HTTP", settings.listen(), ec.value(), ec.message());
  server->port_ = server->acceptor_.local_endpoint(ec).port();
  server->accept();
  return server;
}

void HttpServer::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  retry_.cancel();
  const auto connections = connections_;
  connections_.clear();
  for (auto* connection : connections) connection->close();
}

bool HttpServer::drop_idlest() {
  HttpConnection* idlest = nullptr;
  for (auto* connection : connections_) {
    const auto since = connection->idle_since();
    if (since && (idlest == nullptr || *since < *idlest->idle_since())) idlest = connection;
  }
  if (idlest == nullptr) return false;  // every connection is being served
  idlest->close();                      // forgets itself
  return true;
}

void HttpServer::accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (closed_) return;
    if (ec) {
      // EMFILE and friends: log, and try again shortly rather than spin on the error.
      spdlog::warn("http: accept failed: {}", ec.message());
      retry_.expires_after(std::chrono::milliseconds(200));
      retry_.async_wait([this](const boost::system::error_code& wait_ec) {
        if (!wait_ec && !closed_) accept();
      });
      return;
    }
    admit(std::move(socket));
    accept();
  });
}

void HttpServer::admit(tcp::socket socket) {
  if (connections_.size() >= kMaxConnections && !drop_idlest()) {
    refuse(socket);
    return;
  }
  start_session(*this, std::move(socket), tls_ ? &*tls_ : nullptr);
}

}  // namespace nb::daemon::http
