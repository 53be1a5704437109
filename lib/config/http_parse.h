// Internal to lib/config: the "http" object.
#pragma once

#include "config/http_settings.h"
#include "config/json_fields.h"

namespace nb::config::detail {

// {"listen": "HOST:PORT", "tls_cert": PATH, "tls_key": PATH, "token_file": PATH}. A listen
// address other than loopback requires all three files; tls_cert and tls_key go together.
Result<HttpSettings> read_http(const Json& value, const FieldPath& at);

}  // namespace nb::config::detail
