// Internal to lib/config: the "copy" array, the off-site copies the daemon makes on a schedule.
#pragma once

#include <vector>

#include "config/config.h"
#include "config/json_fields.h"

namespace nb::config::detail {

// Each element an object {"to", "interval", "node"}. Checked against the rest of the config
// (read before it): a target may not be the repository, lie inside it or hold it; a node must
// be configured; an s3:// target needs the "s3" object; (to, node) pairs are unique.
Result<std::vector<CopyTarget>> read_copies(const Json& value, const FieldPath& at,
                                            const Config& config);

}  // namespace nb::config::detail
