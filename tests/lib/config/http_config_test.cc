// The "http" object (issue 15): where the dashboard listens, and that nothing but loopback is
// accepted without TLS and a token.
#include <catch2/catch.hpp>

#include <string>

#include "config/config.h"

namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using nb::config::parse_config;

const std::string kSource = "/etc/nodebackup/config.json";

nb::Result<nb::config::Config> with_http(const std::string& http) {
  return parse_config(R"({"repository": "/r", "state_dir": "/s", "http": )" + http +
                          R"(, "nodes": [{"id": "n", "type": "local", "paths": ["/etc"]}]})",
                      kSource);
}

std::string error_of(const std::string& http) {
  const auto config = with_http(http);
  REQUIRE_FALSE(config.has_value());
  return config.error().message();
}

}  // namespace

TEST_CASE("http config: off by default, loopback listen addresses", "[config][http]") {
  const auto none = parse_config(
      R"({"repository": "/r", "state_dir": "/s", "nodes": [{"id": "n", "type": "local", "paths": ["/etc"]}]})",
      kSource);
  REQUIRE(none.has_value());
  CHECK_FALSE(none->http.has_value());

  const auto v4 = with_http(R"({"listen": "127.0.0.1:9810"})");
  REQUIRE(v4.has_value());
  REQUIRE(v4->http.has_value());
  CHECK(v4->http->host == "127.0.0.1");
  CHECK(v4->http->port == 9810);
  CHECK(v4->http->loopback());
  CHECK_THAT(nb::config::describe(*v4), Contains("http:                    127.0.0.1:9810"));

  const auto v6 = with_http(R"({"listen": "[::1]:80"})");
  REQUIRE(v6.has_value());
  CHECK(v6->http->host == "::1");
  CHECK(v6->http->listen() == "[::1]:80");
  CHECK(v6->http->loopback());
  CHECK(with_http(R"({"listen": "localhost:9810"})").has_value());
  CHECK(with_http(R"({"listen": "127.8.9.10:1"})").has_value());
}

TEST_CASE("http config: malformed listen addresses name the field", "[config][http]") {
  for (const std::string bad : {R"("9810")", R"("127.0.0.1")", R"("127.0.0.1:")",
                                R"("127.0.0.1:65536")", R"("127.0.0.1:-1")", R"("::1:9810")",
                                R"("example.com:9810")", R"("[127.0.0.1]:9810")", "9810"}) {
    INFO("listen " << bad);
    CHECK_THAT(error_of(R"({"listen": )" + bad + "}"),
               StartsWith("config " + kSource + ": http.listen: "));
  }
  CHECK_THAT(error_of(R"({})"), Contains("http.listen: is required"));
  CHECK_THAT(error_of(R"({"listen": "127.0.0.1:1", "port": 1})"), Contains("port"));
}

TEST_CASE("http config: beyond loopback needs TLS and a token", "[config][http]") {
  const std::string tls = R"("tls_cert": "/etc/c.pem", "tls_key": "/etc/k.pem")";
  const std::string token = R"("token_file": "/etc/token")";
  for (const std::string listen : {"0.0.0.0:9810", "192.0.2.5:9810", "[::]:9810"}) {
    INFO("listen " << listen);
    const std::string l = R"("listen": ")" + listen + R"(")";
    CHECK_THAT(error_of("{" + l + "}"), StartsWith("config " + kSource + ": http.listen: " +
                                                   listen + " is not a loopback address"));
    CHECK_THAT(error_of("{" + l + ", " + tls + "}"), Contains("tls_cert, tls_key and token_file"));
    CHECK_THAT(error_of("{" + l + ", " + token + "}"),
               Contains("tls_cert, tls_key and token_file"));
    const auto ok = with_http("{" + l + ", " + tls + ", " + token + "}");
    REQUIRE(ok.has_value());
    CHECK(*ok->http->tls_cert == "/etc/c.pem");
    CHECK(*ok->http->token_file == "/etc/token");
    CHECK_FALSE(ok->http->loopback());
  }
  CHECK_THAT(error_of(R"({"listen": "127.0.0.1:1", "tls_cert": "/etc/c.pem"})"),
             Contains("http.tls_key: is required with tls_cert"));
  CHECK_THAT(error_of(R"({"listen": "127.0.0.1:1", "tls_key": "relative.pem"})"),
             Contains("http.tls_key"));
}
