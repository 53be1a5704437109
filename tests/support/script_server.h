// A test server written in Python (tests/support/net/): started on 127.0.0.1 at a free port
// the script picks and writes to a file, killed by PID when the object goes (or the test
// process dies). The script appends what it receives to a log of JSON lines the test reads.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/temp_dir.h"

namespace nb::test {

class ScriptServer {
 public:
  // Runs /usr/bin/python3 SCRIPT PORT_FILE LOG ARGS… and waits for the port; `args` (may be
  // empty) makes ARGS, given the server's own directory.
  using Args = std::function<std::vector<std::string>(const TempDir& dir)>;
  explicit ScriptServer(const std::string& script, const Args& args = {});
  ~ScriptServer();
  ScriptServer(const ScriptServer&) = delete;
  ScriptServer& operator=(const ScriptServer&) = delete;

  int port() const { return port_; }
  std::vector<nlohmann::json> records() const;
  // Polls until `count` records match `keep` (bounded); returns those records.
  std::vector<nlohmann::json> wait_for(size_t count,
                                       const std::function<bool(const nlohmann::json&)>& keep,
                                       const std::string& what) const;
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// tests/support/net/http_sink.py: records requests; /hang/… never answers, /status/NNN/…
// answers NNN.
class HttpSink : public ScriptServer {
 public:
  HttpSink();
  std::string url(const std::string& path) const;
};

// tests/support/net/smtp_sink.py: aiosmtpd with STARTTLS (a throw-away self-signed
// certificate, cert() for the client's CA file) and AUTH as user/password.
class SmtpSink : public ScriptServer {
 public:
  SmtpSink(const std::string& user, const std::string& password);
  std::string cert() const;
};

}  // namespace nb::test
