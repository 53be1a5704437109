#include <utility>

#include "config/config.h"
#include "config/config_values.h"
#include "config/copy_parse.h"
#include "config/http_parse.h"
#include "config/json_fields.h"
#include "config/json_syntax.h"
#include "config/node_parse.h"
#include "config/notify_parse.h"
#include "config/s3_parse.h"

namespace nb::config {
namespace {

using detail::FieldPath;
using detail::Json;
using detail::optional_field;
using detail::required_field;

// The "defaults" object, applied over the built-in defaults held by a default NodeConfig; the
// result is the template every node starts from.
Result<NodeConfig> read_defaults(const Json& value, const FieldPath& at) {
  const auto object =
      detail::open_object(value, at,
                          {"interval", "jitter", "exclude", "exclude_from", "exclude_larger_than",
                           "retain", "failures_before_notify", "stale_after", "hooks"});
  if (!object) return std::unexpected(object.error());
  NodeConfig defaults;
  const auto retain = [&](const Json& retain_value, const FieldPath& retain_at) {
    return detail::read_retention(retain_value, retain_at, defaults.retain);
  };
  const auto read = detail::run_steps({
      [&] { return optional_field(*object, "interval", defaults.interval, detail::read_duration); },
      [&] {
        return optional_field(*object, "jitter", defaults.jitter, detail::read_duration_allow_zero);
      },
      [&] {
        return optional_field(*object, "exclude", defaults.exclude, detail::read_string_list);
      },
      [&] { return detail::read_exclude_from(*object, defaults); },
      [&] {
        return optional_field(*object, "exclude_larger_than", defaults.exclude_larger_than,
                              detail::read_byte_size);
      },
      [&] { return optional_field(*object, "retain", defaults.retain, retain); },
      [&] {
        return optional_field(*object, "failures_before_notify", defaults.failures_before_notify,
                              detail::int_in(1, 1000));
      },
      [&] {
        return optional_field(*object, "stale_after", defaults.stale_after, detail::read_duration);
      },
      [&] {
        const auto hooks = [&](const Json& v, const FieldPath& a) {
          return detail::read_hooks(v, a, defaults.hooks);
        };
        return optional_field(*object, "hooks", defaults.hooks, hooks);
      },
  });
  if (!read) return std::unexpected(read.error());
  return defaults;
}

Result<Config> read_config(const Json& root_value, const std::string& source) {
  const auto root = detail::open_object(
      root_value, FieldPath(source),
      {"repository", "state_dir", "control_socket", "store_snapshot_interval",
       "max_concurrent_jobs", "prune_interval", "metrics_textfile", "repository_password_file",
       "defaults", "nodes", "http", "notify", "repository_space", "s3", "copy"});
  if (!root) return std::unexpected(root.error());
  Config config;
  config.source = source;
  NodeConfig defaults;
  const auto path = detail::read_absolute_path;
  // Nodes come last: their known_hosts default needs state_dir.
  const auto nodes = [&](const Json& value, const FieldPath& at) {
    return detail::read_nodes(value, at, defaults, config.state_dir);
  };
  // Copies after everything they are checked against: the repository, the nodes, "s3".
  const auto copies = [&](const Json& value, const FieldPath& at) {
    return detail::read_copies(value, at, config);
  };
  const auto read = detail::run_steps({
      [&] {
        return required_field(*root, "repository", config.repository, detail::read_repository);
      },
      [&] { return required_field(*root, "state_dir", config.state_dir, path); },
      [&] { return optional_field(*root, "control_socket", config.control_socket, path); },
      [&] {
        return optional_field(*root, "store_snapshot_interval", config.store_snapshot_interval,
                              detail::read_duration);
      },
      [&] {
        return optional_field(*root, "max_concurrent_jobs", config.max_concurrent_jobs,
                              detail::int_in(1, 64));
      },
      [&] {
        return optional_field(*root, "prune_interval", config.prune_interval,
                              detail::read_duration);
      },
      [&] { return optional_field(*root, "metrics_textfile", config.metrics_textfile, path); },
      [&] {
        return optional_field(*root, "repository_password_file", config.repository_password_file,
                              path);
      },
      [&] { return optional_field(*root, "http", config.http, detail::read_http); },
      [&] { return optional_field(*root, "defaults", defaults, read_defaults); },
      [&] { return required_field(*root, "nodes", config.nodes, nodes); },
      [&] { return optional_field(*root, "notify", config.notify, detail::read_notify_targets); },
      [&] {
        return optional_field(*root, "repository_space", config.repository_space,
                              detail::read_repository_space);
      },
      [&] { return optional_field(*root, "s3", config.s3, detail::read_s3); },
      [&] { return optional_field(*root, "copy", config.copies, copies); },
  });
  if (!read) return std::unexpected(read.error());
  if (config.repository.starts_with("s3://") && !config.s3) {
    return FieldPath(source)
        .key("repository")
        .fail("an s3:// repository needs the \"s3\" object (endpoint, credentials_file)");
  }
  return config;
}

}  // namespace

Result<Config> parse_config(std::string_view text, const std::string& source) {
  auto config = [&]() -> Result<Config> {
    try {
      const auto json = detail::parse_json_text(text, source);
      if (!json) return std::unexpected(json.error());
      return read_config(*json, source);
    } catch (const nlohmann::json::exception& error) {
      // Readers check every type before reading, so this only guards against our own bugs:
      // even then, nothing may escape to the daemon.
      return fail("config", source, 0, error.what());
    }
  }();
  if (!config) return std::unexpected(Error(config.error()).with_kind(ErrorKind::config));
  return config;
}

}  // namespace nb::config
