// Internal to lib/config: a node's "dumps" array.
#pragma once

#include "config/config.h"
#include "config/json_fields.h"

namespace nb::config::detail {

// Reads node.dumps from the node's "dumps" (absent: none): objects with a "name" that is one
// path component ([A-Za-z0-9_.@+-], not "." or "..", unique in the node), a "command" line and
// an optional "timeout". Also refuses a configured path at or below kDumpRoot, which the
// snapshot reserves for the dumps.
Result<void> read_node_dumps(const JsonObject& node_object, NodeConfig& node);

}  // namespace nb::config::detail
