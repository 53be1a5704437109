// The configuration file of a process test, built as JSON (never by pasting strings: a path
// with a quote in it stays a path): the repository, state directory and control socket under
// the test's directory, the nodes, and any other top-level members the test sets.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace nb::test {

// One node object, or an array of them.
nlohmann::json test_config(const std::string& dir, const nlohmann::json& nodes,
                           const nlohmann::json& extra = nlohmann::json::object());
nlohmann::json local_node(const std::string& id, const std::string& path,
                          const std::string& interval = "1s");
void write_config(const std::string& file, const nlohmann::json& config);

}  // namespace nb::test
