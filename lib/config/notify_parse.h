// Internal to lib/config: the "notify" targets, the "repository_space" alarm and the per-node
// notification and hook settings, read with the same field-naming errors as the rest.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "config/json_fields.h"

namespace nb::config::detail {

// The "notify" array: targets with unique names.
Result<std::vector<NotifyTarget>> read_notify_targets(const Json& value, const FieldPath& at);

Result<RepositorySpace> read_repository_space(const Json& value, const FieldPath& at);

// A node's (or the defaults') "hooks" object, over `base`.
Result<Hooks> read_hooks(const Json& value, const FieldPath& at, const Hooks& base);

}  // namespace nb::config::detail
