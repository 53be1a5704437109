// A nodebackupd with the dashboard on a free loopback port and two local nodes, each run once.
#pragma once

#include <nlohmann/json.hpp>

#include "daemon/daemon_fixture.h"

namespace nb::test {

inline const nlohmann::json kHttpLoopback = {{"http", {{"listen", "127.0.0.1:0"}}}};

struct HttpFixture {
  DaemonFixture f;
  int port = 0;

  // `extra`: top-level config members (the "http" object among them).
  explicit HttpFixture(nlohmann::json extra = kHttpLoopback);
  DaemonProcess& daemon() { return *f.daemon; }
  // The node's snapshot ids as /api lists them, once it lists `count`.
  std::vector<std::string> snapshot_ids(const std::string& node, size_t count);
};

}  // namespace nb::test
