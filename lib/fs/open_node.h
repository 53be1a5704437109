// The one place that knows which NodeFs serves which kind of configured node.
#pragma once

#include <memory>

#include "config/config.h"
#include "fs/node_fs.h"

namespace nb::fs {

Result<std::unique_ptr<NodeFs>> open_node_fs(const config::NodeConfig& node);

}  // namespace nb::fs
