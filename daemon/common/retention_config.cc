#include "common/retention_config.h"

namespace nb {

repo::RetentionPolicy retention_policy(const config::Retention& retain) {
  return {.last = retain.last,
          .hourly = retain.hourly,
          .daily = retain.daily,
          .weekly = retain.weekly,
          .monthly = retain.monthly,
          .yearly = retain.yearly};
}

repo::RetentionPolicies retention_policies(const config::Config& config) {
  repo::RetentionPolicies policies;
  for (const auto& node : config.nodes) policies.emplace(node.id, retention_policy(node.retain));
  return policies;
}

}  // namespace nb
