#include "support/test_config.h"

#include "support/temp_dir.h"

namespace nb::test {

nlohmann::json test_config(const std::string& dir, const nlohmann::json& nodes,
                           const nlohmann::json& extra) {
  nlohmann::json config = {{"repository", dir + "/repo"},
                           {"state_dir", dir + "/state"},
                           {"control_socket", dir + "/control.sock"},
                           {"nodes", nodes.is_array() ? nodes : nlohmann::json::array({nodes})}};
  config.update(extra);
  return config;
}

nlohmann::json local_node(const std::string& id, const std::string& path,
                          const std::string& interval) {
  return {
      {"id", id}, {"type", "local"}, {"paths", {path}}, {"interval", interval}, {"jitter", "0s"}};
}

void write_config(const std::string& file, const nlohmann::json& config) {
  write_file(file, config.dump(2) + "\n");
}

}  // namespace nb::test
