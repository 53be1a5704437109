#include "config/http_parse.h"

#include <arpa/inet.h>

#include <charconv>

#include "config/config_values.h"

namespace nb::config {

namespace {

// Whether `host` is a numeric address (IPv4 dotted quad or IPv6), so that binding never
// depends on name resolution; "localhost" is the one name accepted.
bool numeric_address(const std::string& host, bool& loopback) {
  in_addr v4{};
  in6_addr v6{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    loopback = (ntohl(v4.s_addr) >> 24) == 127;
    return true;
  }
  if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    loopback = IN6_IS_ADDR_LOOPBACK(&v6);
    return true;
  }
  return false;
}

}  // namespace

bool HttpSettings::loopback() const {
  bool loop = false;
  if (host == "localhost") return true;
  return numeric_address(host, loop) && loop;
}

std::string HttpSettings::listen() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

namespace detail {

namespace {

// "127.0.0.1:9810", "[::1]:9810", "localhost:9810".
Result<HttpSettings> read_listen(const Json& value, const FieldPath& at) {
  const auto text = read_string(value, at);
  if (!text) return std::unexpected(text.error());
  const auto bad = [&] {
    return at.fail(
        "must be \"ADDRESS:PORT\" with a numeric IPv4 address, a bracketed IPv6 "
        "address or localhost, e.g. \"127.0.0.1:9810\"");
  };
  const auto colon = text->rfind(':');
  if (colon == std::string::npos) return bad();
  HttpSettings http;
  http.host = text->substr(0, colon);
  if (http.host.size() >= 2 && http.host.front() == '[' && http.host.back() == ']') {
    http.host = http.host.substr(1, http.host.size() - 2);
    if (http.host.find(':') == std::string::npos) return bad();
  } else if (http.host.find(':') != std::string::npos) {
    return bad();  // an IPv6 address must be bracketed, or its port is ambiguous
  }
  const std::string port = text->substr(colon + 1);
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), http.port);
  if (ec != std::errc() || end != port.data() + port.size() || port.empty() || http.port < 0 ||
      http.port > 65535) {
    return bad();
  }
  bool loopback = false;
  if (http.host != "localhost" && !numeric_address(http.host, loopback)) return bad();
  return http;
}

}  // namespace

Result<HttpSettings> read_http(const Json& value, const FieldPath& at) {
  const auto object = open_object(value, at, {"listen", "tls_cert", "tls_key", "token_file"});
  if (!object) return std::unexpected(object.error());
  HttpSettings http;
  const auto read = run_steps({
      [&] { return required_field(*object, "listen", http, read_listen); },
      [&] { return optional_field(*object, "tls_cert", http.tls_cert, read_absolute_path); },
      [&] { return optional_field(*object, "tls_key", http.tls_key, read_absolute_path); },
      [&] { return optional_field(*object, "token_file", http.token_file, read_absolute_path); },
  });
  if (!read) return std::unexpected(read.error());
  if (http.tls_cert.has_value() != http.tls_key.has_value()) {
    return at.key(http.tls_cert ? "tls_key" : "tls_cert")
        .fail("is required with " + std::string(http.tls_cert ? "tls_cert" : "tls_key"));
  }
  if (!http.loopback() && (!http.tls_cert || !http.token_file)) {
    // Other machines could read every node's files: only over TLS, and only with the token.
    return at.key("listen").fail(http.listen() +
                                 " is not a loopback address: listening beyond this machine "
                                 "requires tls_cert, tls_key and token_file");
  }
  return http;
}

}  // namespace detail

}  // namespace nb::config
