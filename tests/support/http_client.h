// A minimal HTTP/1.1 client for process tests of the daemon's dashboard: plain TCP to
// 127.0.0.1, one request per connection, the response read until the server closes. Raw
// targets are sent as given (no normalisation), so tests can send hostile paths.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "util/file.h"

namespace nb::test {

struct HttpReply {
  int status = 0;  // 0: no complete status line (connection closed or timed out)
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  // The header's value ("" when absent); `name` in lower case.
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// Sends `method target` with `headers` ("Name: value") and Connection: close; waits a bounded
// time for the whole response.
HttpReply http_request(int port, const std::string& method, const std::string& target,
                       const std::vector<std::string>& headers = {});
inline HttpReply http_get(int port, const std::string& target,
                          const std::vector<std::string>& headers = {}) {
  return http_request(port, "GET", target, headers);
}

// The same over TLS, the server's certificate not verified (tests make their own).
HttpReply https_get(int port, const std::string& target,
                    const std::vector<std::string>& headers = {});

// A connected socket to 127.0.0.1:port (for tests that hold connections open).
UniqueFd http_connect(int port);

// The port in the daemon's "dashboard and /metrics on http://127.0.0.1:PORT" log line.
int dashboard_port(const std::string& log);

}  // namespace nb::test
