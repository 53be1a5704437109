// One client connection of the HTTP server, plain or TLS: reads a request (bounded in size and
// time), hands it to the server's handler, writes the response, and reads the next one while
// the client keeps the connection alive. Keeps itself alive with shared_from_this() while an
// operation or a response is pending.
#pragma once

#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "nodebackupd/http/http_server.h"

namespace nb::daemon::http {

// Starts serving `socket`; TLS when `tls` is given. The server tracks the connection until it
// closes.
std::shared_ptr<HttpConnection> start_session(HttpServer& server,
                                              boost::asio::ip::tcp::socket socket,
                                              boost::asio::ssl::context* tls);

}  // namespace nb::daemon::http
