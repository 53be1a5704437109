#include "daemon/daemon_fixture.h"

#include <stdexcept>

#include "support/test_config.h"

namespace nb::test {

DaemonFixture::DaemonFixture() {
  for (int i = 0; i < 5; ++i)
    write_file(src + "/f" + std::to_string(i), "file " + std::to_string(i));
  write_file(src + "/sub/a", "a");
}

nlohmann::json DaemonFixture::local_node(const std::string& id, const std::string& path,
                                         const std::string& interval) {
  return test::local_node(id, path, interval);
}

void DaemonFixture::write_config(const nlohmann::json& nodes, const nlohmann::json& extra) {
  auto all = nlohmann::json{{"store_snapshot_interval", "1s"}};
  all.update(extra);
  test::write_config(config, test_config(dir.path(), nodes, all));
}

DaemonProcess& DaemonFixture::start(std::vector<std::string> env, std::vector<std::string> prefix) {
  env.push_back("NOTIFY_SOCKET=" + notify.path());
  daemon = std::make_unique<DaemonProcess>(
      DaemonLaunch{config, socket, std::move(env), std::move(prefix), {}});
  return *daemon;
}

DaemonProcess& DaemonFixture::start_ready() {
  auto& d = start();
  try {
    notify.wait_for("READY=1", [&] { return d.running(); });
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string(e.what()) + "; the daemon's log:\n" + d.log());
  }
  return d;
}

ProcessResult DaemonFixture::ctl(std::vector<std::string> args) {
  args.insert(args.begin(), {NB_CTL_BIN, "-c", config});
  return run_process(args);
}

nlohmann::json DaemonFixture::snapshots(const std::string& node) {
  const auto r = ctl({"snapshots", node, "--json"});
  if (r.exit_code != 0) throw std::runtime_error("snapshots: " + r.err);
  return nlohmann::json::parse(r.out);
}

nlohmann::json wait_for_runs(DaemonProcess& daemon, const std::string& node, uint64_t runs) {
  const auto status = daemon.wait_status([&](const nlohmann::json& s) {
    const auto n = DaemonProcess::node(s, node);
    return n.is_object() && n["runs"]["ok"].get<uint64_t>() >= runs;
  });
  return DaemonProcess::node(status, node)["last_run"];
}

}  // namespace nb::test
