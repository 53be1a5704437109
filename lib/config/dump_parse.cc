#include "config/dump_parse.h"

#include <algorithm>

namespace nb::config::detail {
namespace {

// A dump's name becomes a file name in every restore: a plain one, so that it needs no
// quoting in a shell and cannot climb out of the reserved directory.
Result<std::string> read_dump_name(const Json& value, const FieldPath& at) {
  auto name = read_string(value, at);
  if (!name) return std::unexpected(name.error());
  const bool plain = std::all_of(name->begin(), name->end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-' || c == '@' || c == '+';
  });
  if (name->empty() || name->size() > 255 || !plain || *name == "." || *name == "..") {
    return at.fail("must be a file name of 1 to 255 characters from [A-Za-z0-9_.@+-], not . or ..");
  }
  return name;
}

Result<std::string> read_command_line(const Json& value, const FieldPath& at) {
  auto text = read_string(value, at);
  if (!text) return std::unexpected(text.error());
  if (text->empty()) return at.fail("must not be empty");
  if (text->find('\0') != std::string::npos) return at.fail("must not contain NUL");
  return text;
}

Result<DumpConfig> read_dump(const Json& value, const FieldPath& at) {
  const auto object = open_object(value, at, {"name", "command", "timeout"});
  if (!object) return std::unexpected(object.error());
  DumpConfig dump;
  const auto read = run_steps({
      [&] { return required_field(*object, "name", dump.name, read_dump_name); },
      [&] { return required_field(*object, "command", dump.command, read_command_line); },
      [&] { return optional_field(*object, "timeout", dump.timeout, read_duration); },
  });
  if (!read) return std::unexpected(read.error());
  return dump;
}

Result<std::vector<DumpConfig>> read_dumps(const Json& value, const FieldPath& at) {
  if (!value.is_array()) return at.fail("must be an array");
  std::vector<DumpConfig> dumps;
  for (size_t i = 0; i < value.size(); ++i) {
    auto dump = read_dump(value[i], at.index(i));
    if (!dump) return std::unexpected(dump.error());
    const bool taken = std::any_of(dumps.begin(), dumps.end(),
                                   [&](const DumpConfig& d) { return d.name == dump->name; });
    if (taken) return at.index(i).key("name").fail("duplicate dump name \"" + dump->name + "\"");
    dumps.push_back(std::move(*dump));
  }
  return dumps;
}

}  // namespace

Result<void> read_node_dumps(const JsonObject& node_object, NodeConfig& node) {
  for (size_t i = 0; i < node.paths.size(); ++i) {
    const std::string_view path = node.paths[i];
    const bool inside = path.starts_with(kDumpRoot) &&
                        (path.size() == kDumpRoot.size() || path[kDumpRoot.size()] == '/');
    if (inside) {
      std::string problem(kDumpRoot);
      problem += " is reserved for the node's dumps";
      return node_object.at.key("paths").index(i).fail(problem);
    }
  }
  return optional_field(node_object, "dumps", node.dumps, read_dumps);
}

}  // namespace nb::config::detail
