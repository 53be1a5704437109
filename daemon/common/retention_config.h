// The configured retention rules as the repository's prune takes them: both programs prune
// (the daemon on its schedule, nodebackupctl on demand), and repo/ knows nothing of config/.
#pragma once

#include "config/config.h"
#include "repo/prune.h"

namespace nb {

repo::RetentionPolicy retention_policy(const config::Retention& retain);
// Node id → its policy, for every configured node.
repo::RetentionPolicies retention_policies(const config::Config& config);

}  // namespace nb
