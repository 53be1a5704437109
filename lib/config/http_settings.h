// The "http" object of the configuration (DESIGN §9 "Seeing"): where the daemon's read-only web
// dashboard and /metrics listen. Off unless configured. Anything but a loopback address is
// reachable by other machines, so parsing refuses it without TLS and a bearer token: the
// dashboard shows every node's paths and serves their files.
#pragma once

#include <optional>
#include <string>

namespace nb::config {

struct HttpSettings {
  std::string host;  // a numeric IPv4 or IPv6 address ("127.0.0.1", "::1"), or "localhost"
  int port = 9810;   // 0: any free port (the daemon logs which)
  std::optional<std::string> tls_cert;    // PEM certificate chain
  std::optional<std::string> tls_key;     // PEM private key
  std::optional<std::string> token_file;  // first line: the bearer token every request must carry

  bool loopback() const;
  std::string listen() const;  // "127.0.0.1:9810", "[::1]:9810"
  bool operator==(const HttpSettings&) const = default;
};

}  // namespace nb::config
