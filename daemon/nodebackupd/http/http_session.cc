#include "nodebackupd/http/http_session.h"

#include <spdlog/spdlog.h>

#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace nb::daemon::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

namespace {

Response error_response(bhttp::status status, const std::string& why) {
  Response res{status, 11};
  res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
  res.body() = why + "\n";
  return res;
}

// A connection over `Stream`: beast::tcp_stream, or an SSL stream over one. The tcp_stream's
// expiry bounds every read and write.
template <class Stream>
class Session final : public HttpConnection, public std::enable_shared_from_this<Session<Stream>> {
 public:
  template <class... Args>
  Session(HttpServer& server, Args&&... args)
      : server_(&server), stream_(std::forward<Args>(args)...) {}
  ~Session() override {
    if (server_ != nullptr) server_->forget(this);
  }

  void start() {
    idle_since_ = std::chrono::steady_clock::now();
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      read_request();
    } else {
      beast::get_lowest_layer(stream_).expires_after(kRequestDeadline);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](const beast::error_code& ec) {
                                if (ec) {
                                  self->close();
                                  return;
                                }
                                self->read_request();
                              });
    }
  }

  void close() override {
    if (closed_) return;
    closed_ = true;
    if (server_ != nullptr) server_->forget(this);
    server_ = nullptr;
    beast::get_lowest_layer(stream_).close();
  }

  std::optional<std::chrono::steady_clock::time_point> idle_since() const override {
    return idle_since_;
  }

 private:
  void read_request() {
    if (closed_) return;
    if (!idle_since_) idle_since_ = std::chrono::steady_clock::now();
    parser_.emplace();
    // The header is bounded: a larger one fails the read once the limit is passed, without
    // the rest being buffered.
    parser_->header_limit(kMaxHeaderBytes);
    beast::get_lowest_layer(stream_).expires_after(kRequestDeadline);
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](const beast::error_code& ec, size_t) {
                        self->on_request(ec);
                      });
  }

  void on_request(const beast::error_code& ec) {
    if (closed_) return;
    idle_since_.reset();
    if (ec == bhttp::error::header_limit) {
      respond_and_close(error_response(bhttp::status::request_header_fields_too_large,
                                       "request header larger than 16 KiB"));
      return;
    }
    if (ec == bhttp::error::unexpected_body || ec == bhttp::error::body_limit) {
      respond_and_close(error_response(bhttp::status::payload_too_large, "requests carry no body"));
      return;
    }
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::eof || ec == asio::error::connection_reset) {
      close();  // the client went away, or said nothing in time
      return;
    }
    if (ec) {
      respond_and_close(error_response(bhttp::status::bad_request, "malformed request"));
      return;
    }
    const Request request = parser_->release();
    keep_alive_ = request.keep_alive();
    head_ = request.method() == bhttp::verb::head;
    if (server_ == nullptr) return;
    // A handler that throws (a bug) costs this request, not the event loop serving everyone.
    try {
      server_->handle(request, Responder([self = this->shared_from_this()](
                                             Response res, std::function<void()> sent) {
                        self->write(std::move(res), std::move(sent));
                      }));
    } catch (const std::exception& e) {
      spdlog::error("http: request {} failed: {}", std::string(request.target()), e.what());
      respond_and_close(error_response(bhttp::status::internal_server_error, "internal error"));
    }
  }

  void respond_and_close(Response res) {
    keep_alive_ = false;
    head_ = false;
    write(std::move(res));
  }

  void write(Response res, std::function<void()> sent = {}) {
    if (closed_ || response_) {
      if (sent) sent();
      return;
    }
    sent_ = std::move(sent);
    res.keep_alive(keep_alive_);
    res.prepare_payload();
    if (head_) res.body().clear();  // the length stays that of the GET
    response_ = std::make_unique<Response>(std::move(res));
    beast::get_lowest_layer(stream_).expires_after(kWriteDeadline);
    bhttp::async_write(stream_, *response_,
                       [self = this->shared_from_this()](const beast::error_code& ec, size_t) {
                         self->response_.reset();
                         if (auto done = std::exchange(self->sent_, {})) done();
                         if (ec || !self->keep_alive_) {
                           self->close();
                           return;
                         }
                         self->read_request();
                       });
  }

  HttpServer* server_;  // null once the server forgot this connection
  Stream stream_;
  beast::flat_buffer buffer_{kMaxHeaderBytes + 4096};
  std::optional<bhttp::request_parser<bhttp::empty_body>> parser_;
  std::unique_ptr<Response> response_;
  std::function<void()> sent_;  // of response_
  std::optional<std::chrono::steady_clock::time_point> idle_since_;
  bool keep_alive_ = false;
  bool head_ = false;
  bool closed_ = false;
};

}  // namespace

std::shared_ptr<HttpConnection> start_session(HttpServer& server, asio::ip::tcp::socket socket,
                                              asio::ssl::context* tls) {
  if (tls != nullptr) {
    auto session = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
        server, beast::tcp_stream(std::move(socket)), *tls);
    server.track(session.get());
    session->start();
    return session;
  }
  auto session = std::make_shared<Session<beast::tcp_stream>>(server, std::move(socket));
  server.track(session.get());
  session->start();
  return session;
}

}  // namespace nb::daemon::http
