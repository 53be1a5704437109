#include "support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <regex>
#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

namespace nb::test {

namespace {

constexpr auto kPatience = std::chrono::seconds(60);

HttpReply parse(const std::string& raw) {
  HttpReply reply;
  const auto end = raw.find("\r\n\r\n");
  if (end == std::string::npos || raw.compare(0, 9, "HTTP/1.1 ") != 0) return reply;
  reply.status = std::stoi(raw.substr(9, 3));
  size_t line = raw.find("\r\n") + 2;
  while (line < end) {
    const auto next = raw.find("\r\n", line);
    const auto colon = raw.find(':', line);
    if (colon != std::string::npos && colon < next) {
      std::string name = raw.substr(line, colon - line);
      std::transform(name.begin(), name.end(), name.begin(), ::tolower);
      reply.headers[name] = raw.substr(colon + 2, next - colon - 2);
    }
    line = next + 2;
  }
  reply.body = raw.substr(end + 4);
  return reply;
}

}  // namespace

UniqueFd http_connect(int port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ::sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<::sockaddr*>(&addr), sizeof(addr)) != 0) {
    throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + " failed");
  }
  return fd;
}

std::string request_text(const std::string& method, const std::string& target,
                         const std::vector<std::string>& headers) {
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& h : headers) request += h + "\r\n";
  return request + "Connection: close\r\n\r\n";
}

HttpReply https_get(int port, const std::string& target, const std::vector<std::string>& headers) {
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.set_verify_mode(asio::ssl::verify_none);
  asio::ssl::stream<asio::ip::tcp::socket> stream(io, tls);
  boost::system::error_code ec;
  stream.lowest_layer().connect({asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)},
                                ec);
  if (!ec) stream.handshake(asio::ssl::stream_base::client, ec);
  if (ec) return {};
  asio::write(stream, asio::buffer(request_text("GET", target, headers)), ec);
  std::string raw;
  asio::read(stream, asio::dynamic_buffer(raw), ec);  // until the server closes
  return parse(raw);
}

HttpReply http_request(int port, const std::string& method, const std::string& target,
                       const std::vector<std::string>& headers) {
  const auto fd = http_connect(port);
  const std::string request = request_text(method, target, headers);
  if (::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    return {};
  }
  std::string raw;
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  char buffer[65536];
  while (std::chrono::steady_clock::now() < deadline) {
    ::pollfd p{fd.get(), POLLIN, 0};
    if (::poll(&p, 1, 1000) <= 0) continue;
    const ssize_t n = ::recv(fd.get(), buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    raw.append(buffer, static_cast<size_t>(n));
  }
  return parse(raw);
}

int dashboard_port(const std::string& log) {
  static const std::regex line(R"(dashboard and /metrics on https?://[^ ]*:(\d+))");
  std::smatch m;
  if (!std::regex_search(log, m, line)) throw std::runtime_error("no dashboard line in the log");
  return std::stoi(m[1]);
}

}  // namespace nb::test
