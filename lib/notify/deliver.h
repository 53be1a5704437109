// Sending one event to one target, once: the blocking half of delivery, run on the sender
// thread of that target (never on the daemon's event loop or its job workers). Bounded by the
// target's timeout; `cancelled` (may be empty) aborts a transfer or kills a command early, so
// a stopping daemon does not wait out a hung target.
#pragma once

#include <functional>

#include "config/config.h"
#include "notify/event.h"
#include "util/error.h"

namespace nb::notify {

// Fails with a transient error for what a retry may fix (a timeout, a refused connection, an
// HTTP 5xx or 429) and a permanent one otherwise (HTTP 4xx, a missing secrets file).
Result<> deliver(const config::NotifyTarget& target, const Event& event,
                 const std::function<bool()>& cancelled = {});

// Once per process, before any thread sends: libcurl's global state is not thread-safe.
void init_transport();

}  // namespace nb::notify
