#include "daemon/http_fixture.h"

#include "support/http_client.h"

namespace nb::test {

HttpFixture::HttpFixture(nlohmann::json extra) {
  write_file(f.dir / "other/x", "x");
  f.write_config(
      nlohmann::json::array({DaemonFixture::local_node("01_node", f.src, "1h"),
                             DaemonFixture::local_node("02_node", f.dir / "other", "1h")}),
      extra);
  auto& d = f.start_ready();
  wait_for_runs(d, "01_node", 1);
  wait_for_runs(d, "02_node", 1);
  d.wait_for_log("dashboard and /metrics on");
  port = dashboard_port(d.log());
}

std::vector<std::string> HttpFixture::snapshot_ids(const std::string& node, size_t count) {
  std::vector<std::string> ids;
  wait_until(
      [&] {
        const auto reply = http_get(port, "/api/nodes/" + node + "/snapshots");
        if (reply.status != 200) return false;
        ids.clear();
        for (const auto& s : nlohmann::json::parse(reply.body)) ids.push_back(s["id"]);
        return ids.size() >= count;
      },
      node + "'s snapshots in /api");
  return ids;
}

}  // namespace nb::test
