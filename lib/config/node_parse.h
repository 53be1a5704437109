// Internal to lib/config: the "nodes" array.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "config/json_fields.h"

namespace nb::config::detail {

// Reads a non-empty array of node objects. Each node starts as a copy of `defaults` (the config's
// "defaults" object already applied) and overrides what it gives; an ssh node's known_hosts
// defaults to "<state_dir>/known_hosts". Node ids must be unique.
Result<std::vector<NodeConfig>> read_nodes(const Json& value, const FieldPath& at,
                                           const NodeConfig& defaults,
                                           const std::string& state_dir);

}  // namespace nb::config::detail
