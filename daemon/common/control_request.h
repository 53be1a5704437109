// One request of the control protocol (DESIGN §7), as parsed from the line a client sent.
// Parsing is the only place that looks at the client's JSON: a handler sees a request whose
// command is known and whose fields have the types it needs, whatever the client sent.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "util/error.h"

namespace nb {

struct ControlRequest {
  std::string command;                // status, run, diff, reload, metrics or notify-test
  std::optional<std::string> node;    // run and diff: the node id
  bool wait = false;                  // run: stream progress and the result
  std::optional<std::string> target;  // notify-test: one target (else every one)
};

// Fails with a message meant for the client ("unknown command \"x\"; the commands are …").
Result<ControlRequest> parse_control_request(std::string_view line);

}  // namespace nb
