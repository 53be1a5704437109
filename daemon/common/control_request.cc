#include "common/control_request.h"

#include <nlohmann/json.hpp>

namespace nb {

namespace {

std::unexpected<Error> bad(std::string why) {
  return fail("control request", {}, 0, std::move(why));
}

}  // namespace

Result<ControlRequest> parse_control_request(std::string_view line) {
  const auto request = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (request.is_discarded() || !request.is_object()) {
    return bad("malformed request: expected one JSON object per line");
  }
  ControlRequest out;
  const auto command = request.find("command");
  if (command != request.end() && command->is_string()) out.command = command->get<std::string>();
  if (out.command != "status" && out.command != "run" && out.command != "diff" &&
      out.command != "reload" && out.command != "metrics" && out.command != "notify-test") {
    return bad("unknown command \"" + out.command.substr(0, 64) +
               "\"; the commands are status, run, diff, reload, metrics, notify-test");
  }
  if (out.command == "notify-test") {
    const auto target = request.find("target");
    if (target != request.end() && !target->is_null()) {
      if (!target->is_string()) return bad("\"target\" must be a target name");
      out.target = target->get<std::string>();
    }
  }
  if (out.command == "run" || out.command == "diff") {
    const auto node = request.find("node");
    if (node == request.end() || !node->is_string()) {
      return bad("\"node\" (a node id) is required");
    }
    out.node = node->get<std::string>();
  }
  const auto wait = request.find("wait");
  out.wait = wait != request.end() && wait->is_boolean() && wait->get<bool>();
  return out;
}

}  // namespace nb
