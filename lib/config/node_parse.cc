#include "config/node_parse.h"

#include <algorithm>
#include <array>
#include <utility>

#include "config/config_values.h"
#include "config/dump_parse.h"
#include "config/notify_parse.h"

namespace nb::config::detail {
namespace {

// Keys that only make sense for an ssh node; on a local node they are an error, not ignored, so a
// node whose type was mistyped as local cannot silently back up this machine instead.
constexpr std::array<std::string_view, 7> kSshKeys = {
    "host", "port", "user", "identity_file", "known_hosts", "host_key_policy", "transport"};

std::vector<std::string_view> node_keys() {
  std::vector<std::string_view> keys = {"id",
                                        "type",
                                        "paths",
                                        "interval",
                                        "jitter",
                                        "exclude",
                                        "exclude_from",
                                        "exclude_larger_than",
                                        "retain",
                                        "failures_before_notify",
                                        "stale_after",
                                        "hooks",
                                        "one_file_system",
                                        "exclude_if_present",
                                        "dumps"};
  keys.insert(keys.end(), kSshKeys.begin(), kSshKeys.end());
  return keys;
}

// Tag file names: one path component each (a name looked for in every directory).
Result<std::vector<std::string>> read_tag_names(const Json& value, const FieldPath& at) {
  auto names = read_string_list(value, at);
  if (!names) return names;
  for (const auto& name : *names) {
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
      return at.fail("must be file names without '/' (\"" + name.substr(0, 64) + "\")");
    }
  }
  return names;
}

Result<void> reject_ssh_keys(const JsonObject& node) {
  for (const std::string_view key : kSshKeys) {
    if (node.json.contains(key)) return node.at.key(key).fail("only valid for ssh nodes");
  }
  return {};
}

Result<void> read_ssh(const JsonObject& node, const std::string& state_dir,
                      std::optional<SshSettings>& out) {
  SshSettings ssh;
  ssh.known_hosts = join_path(state_dir, "known_hosts");
  const auto policy = one_of<HostKeyPolicy>(
      {{"strict", HostKeyPolicy::strict}, {"accept-new", HostKeyPolicy::accept_new}});
  const auto transport = one_of<Transport>({{"sftp", Transport::sftp}, {"exec", Transport::exec}});
  auto read = run_steps({
      [&] { return required_field(node, "host", ssh.host, read_token); },
      [&] { return optional_field(node, "port", ssh.port, int_in(1, 65535)); },
      [&] { return required_field(node, "user", ssh.user, read_token); },
      [&] { return required_field(node, "identity_file", ssh.identity_file, read_absolute_path); },
      [&] { return optional_field(node, "known_hosts", ssh.known_hosts, read_absolute_path); },
      [&] { return optional_field(node, "host_key_policy", ssh.host_key_policy, policy); },
      [&] { return optional_field(node, "transport", ssh.transport, transport); },
  });
  if (read) out = std::move(ssh);
  return read;
}

Result<NodeConfig> read_node(const Json& value, const FieldPath& at, const NodeConfig& defaults,
                             const std::string& state_dir) {
  static const std::vector<std::string_view> kNodeKeys = node_keys();
  const auto object = open_object(value, at, kNodeKeys);
  if (!object) return std::unexpected(object.error());
  NodeConfig node = defaults;
  const auto type = one_of<NodeType>({{"local", NodeType::local}, {"ssh", NodeType::ssh}});
  const auto retain = [&](const Json& retain_value, const FieldPath& retain_at) {
    return read_retention(retain_value, retain_at, defaults.retain);
  };
  const auto hooks = [&](const Json& hooks_value, const FieldPath& hooks_at) {
    return read_hooks(hooks_value, hooks_at, defaults.hooks);
  };
  const auto read = run_steps({
      [&] { return required_field(*object, "id", node.id, read_node_id); },
      [&] { return required_field(*object, "type", node.type, type); },
      [&] { return required_field(*object, "paths", node.paths, read_path_list); },
      [&] { return optional_field(*object, "interval", node.interval, read_duration); },
      [&] { return optional_field(*object, "jitter", node.jitter, read_duration_allow_zero); },
      [&] { return optional_field(*object, "exclude", node.exclude, read_string_list); },
      [&] { return read_exclude_from(*object, node); },
      [&] {
        return optional_field(*object, "exclude_larger_than", node.exclude_larger_than,
                              read_byte_size);
      },
      [&] { return optional_field(*object, "one_file_system", node.one_file_system, read_bool); },
      [&] {
        return optional_field(*object, "exclude_if_present", node.exclude_if_present,
                              read_tag_names);
      },
      [&] { return optional_field(*object, "retain", node.retain, retain); },
      [&] {
        return optional_field(*object, "failures_before_notify", node.failures_before_notify,
                              int_in(1, 1000));
      },
      [&] { return optional_field(*object, "stale_after", node.stale_after, read_duration); },
      [&] { return optional_field(*object, "hooks", node.hooks, hooks); },
      [&] { return read_node_dumps(*object, node); },
      [&] {
        return node.type == NodeType::ssh ? read_ssh(*object, state_dir, node.ssh)
                                          : reject_ssh_keys(*object);
      },
  });
  if (!read) return std::unexpected(read.error());
  return node;
}

}  // namespace

Result<std::vector<NodeConfig>> read_nodes(const Json& value, const FieldPath& at,
                                           const NodeConfig& defaults,
                                           const std::string& state_dir) {
  if (!value.is_array()) return at.fail("must be an array");
  if (value.empty()) return at.fail("must not be empty");
  std::vector<NodeConfig> nodes;
  for (std::size_t i = 0; i < value.size(); ++i) {
    auto node = read_node(value[i], at.index(i), defaults, state_dir);
    if (!node) return std::unexpected(node.error());
    const auto same_id = [&](const NodeConfig& other) { return other.id == node->id; };
    const auto earlier = std::find_if(nodes.begin(), nodes.end(), same_id);
    if (earlier != nodes.end()) {
      const auto first = static_cast<std::size_t>(earlier - nodes.begin());
      return at.index(i).key("id").fail("duplicate node id \"" + node->id + "\" (also " +
                                        at.index(first).str() + ")");
    }
    nodes.push_back(std::move(*node));
  }
  return nodes;
}

}  // namespace nb::config::detail
