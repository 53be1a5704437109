// The one place that knows which NodeFs serves which kind of configured node: the daemon's,
// since it joins config/ to the filesystems, and fs/ knows nothing of config/.
#pragma once

#include <memory>
#include <vector>

#include "backup/dumps.h"
#include "backup/scan.h"
#include "config/config.h"
#include "fs/node_fs.h"

namespace nb {

Result<std::unique_ptr<fs::NodeFs>> open_node_fs(const config::NodeConfig& node);

// What the node's walk leaves out: its `exclude` patterns, then those of its `exclude_from`
// files, and `exclude_larger_than`.
backup::ScanRules scan_rules(const config::NodeConfig& node);

// The node's dumps, for the job.
std::vector<backup::Dump> job_dumps(const config::NodeConfig& node);

}  // namespace nb
