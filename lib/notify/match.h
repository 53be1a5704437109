// Which events go to which target: the target's matcher (severity, kinds, nodes), and for ping
// targets only the per-run events their dead-man's switch needs.
#pragma once

#include <string>

#include "config/config.h"
#include "notify/event.h"

namespace nb::notify {

bool matches(const config::NotifyTarget& target, const Event& event);

// The URL a ping target calls for the event: start, success, fail, or (a test) the success
// URL's /log, which Healthchecks records without changing the check's state. Empty when the
// event is not one a ping target sends. {node} is replaced by the event's node.
std::string ping_url(const config::NotifyTarget& target, const Event& event);

// `text` with every "{node}" replaced by `node`.
std::string substitute_node(std::string text, const std::string& node);

}  // namespace nb::notify
