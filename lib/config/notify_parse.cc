#include "config/notify_parse.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <climits>
#include <utility>

#include "config/config_values.h"

namespace nb::config::detail {
namespace {

// What a matcher may name: the events, and the alarms those events are about.
constexpr std::array<std::string_view, 15> kKnownKinds = {
    "run_started",          "run_finished",     "run_failed",     "run_recovered",
    "alarm_raised",         "alarm_cleared",    "hook_failed",    "test",
    "copy_failed",          "copy_recovered",   "stale",          "repository_space",
    "writeback_incomplete", "diff_ineffective", "store_untrusted"};

bool has_control_or_space(const std::string& text) {
  return std::any_of(text.begin(), text.end(),
                     [](unsigned char c) { return std::iscntrl(c) != 0 || std::isspace(c) != 0; });
}

// A URL of one of `schemes`, with a host, and nothing curl could read as a second argument.
auto url_of(std::vector<std::string_view> schemes) {
  return [schemes = std::move(schemes)](const Json& value,
                                        const FieldPath& at) -> Result<std::string> {
    auto url = read_string(value, at);
    if (!url) return url;
    if (has_control_or_space(*url)) return at.fail("must not contain whitespace");
    for (const auto scheme : schemes) {
      const std::string prefix = std::string(scheme) + "://";
      if (url->starts_with(prefix) && url->size() > prefix.size() && (*url)[prefix.size()] != '/') {
        return url;
      }
    }
    std::vector<std::string_view> prefixes;
    for (const auto scheme : schemes) prefixes.push_back(scheme);
    return at.fail("must be a URL starting with " + quoted_alternatives(prefixes) +
                   " and naming a host");
  };
}

// A mail address as SMTP takes it: no spaces, no angle brackets, no line breaks (which would
// let a value inject headers), one '@' with text on both sides.
Result<std::string> read_mail_address(const Json& value, const FieldPath& at) {
  auto address = read_string(value, at);
  if (!address) return address;
  const auto at_sign = address->find('@');
  const bool ok = !has_control_or_space(*address) &&
                  address->find_first_of("<>,;\"") == std::string::npos &&
                  at_sign != std::string::npos && at_sign > 0 && at_sign + 1 < address->size() &&
                  address->find('@', at_sign + 1) == std::string::npos;
  if (!ok) return at.fail("must be a mail address such as ops@example.org");
  return address;
}

Result<std::vector<std::string>> read_mail_list(const Json& value, const FieldPath& at) {
  if (!value.is_array() || value.empty()) return at.fail("must be a non-empty array");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    auto address = read_mail_address(value[i], at.index(i));
    if (!address) return std::unexpected(address.error());
    out.push_back(std::move(*address));
  }
  return out;
}

Result<std::vector<std::string>> read_kinds(const Json& value, const FieldPath& at) {
  auto kinds = read_string_list(value, at);
  if (!kinds) return kinds;
  for (std::size_t i = 0; i < kinds->size(); ++i) {
    if (std::find(kKnownKinds.begin(), kKnownKinds.end(), (*kinds)[i]) == kKnownKinds.end()) {
      return at.index(i).fail("unknown kind \"" + (*kinds)[i] + "\"");
    }
  }
  return kinds;
}

Result<std::vector<std::string>> read_node_ids(const Json& value, const FieldPath& at) {
  if (!value.is_array()) return at.fail("must be an array");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    auto id = read_node_id(value[i], at.index(i));
    if (!id) return std::unexpected(id.error());
    out.push_back(std::move(*id));
  }
  return out;
}

Result<NotifyMatch> read_match(const Json& value, const FieldPath& at) {
  const auto object = open_object(value, at, {"severity", "kinds", "nodes"});
  if (!object) return std::unexpected(object.error());
  NotifyMatch match;
  const auto severity = one_of<Severity>(
      {{"info", Severity::info}, {"warning", Severity::warning}, {"error", Severity::error}});
  const auto read = run_steps({
      [&] { return optional_field(*object, "severity", match.min_severity, severity); },
      [&] { return optional_field(*object, "kinds", match.kinds, read_kinds); },
      [&] { return optional_field(*object, "nodes", match.nodes, read_node_ids); },
  });
  if (!read) return std::unexpected(read.error());
  return match;
}

// The command of a command target: an argv whose program is an absolute path, so what runs
// does not depend on the daemon's PATH.
Result<std::vector<std::string>> read_argv(const Json& value, const FieldPath& at) {
  auto argv = read_string_list(value, at);
  if (!argv) return argv;
  if (argv->empty()) return at.fail("must not be empty");
  if (argv->front().front() != '/') return at.index(0).fail("must be an absolute path");
  return argv;
}

std::vector<std::string_view> target_keys(NotifyType type) {
  std::vector<std::string_view> keys = {"name",     "type",        "timeout", "retries",
                                        "renotify", "queue_limit", "match"};
  switch (type) {
    case NotifyType::webhook:
      keys.insert(keys.end(), {"url", "headers_file", "ca_file", "format"});
      break;
    case NotifyType::ping:
      keys.insert(keys.end(), {"url", "start_url", "fail_url", "headers_file", "ca_file"});
      break;
    case NotifyType::email:
      keys.insert(keys.end(),
                  {"url", "from", "to", "username", "password_file", "starttls", "ca_file"});
      break;
    case NotifyType::command:
      keys.push_back("command");
      break;
  }
  return keys;
}

Result<void> read_type_fields(const JsonObject& object, NotifyTarget& target) {
  const auto http = url_of({"http", "https"});
  const auto path = read_absolute_path;
  switch (target.type) {
    case NotifyType::webhook: {
      const auto format = one_of<WebhookFormat>({{"json", WebhookFormat::json},
                                                 {"ntfy", WebhookFormat::ntfy},
                                                 {"slack", WebhookFormat::slack},
                                                 {"gotify", WebhookFormat::gotify}});
      return run_steps({
          [&] { return required_field(object, "url", target.url, http); },
          [&] { return optional_field(object, "headers_file", target.headers_file, path); },
          [&] { return optional_field(object, "ca_file", target.ca_file, path); },
          [&] { return optional_field(object, "format", target.format, format); },
      });
    }
    case NotifyType::ping: {
      auto read = run_steps({
          [&] { return required_field(object, "url", target.url, http); },
          [&] { return optional_field(object, "start_url", target.start_url, http); },
          [&] { return optional_field(object, "fail_url", target.fail_url, http); },
          [&] { return optional_field(object, "headers_file", target.headers_file, path); },
          [&] { return optional_field(object, "ca_file", target.ca_file, path); },
      });
      // Healthchecks' own convention for the slug and UUID URLs alike.
      if (target.start_url.empty()) target.start_url = target.url + "/start";
      if (target.fail_url.empty()) target.fail_url = target.url + "/fail";
      return read;
    }
    case NotifyType::email: {
      auto read = run_steps({
          [&] {
            return required_field(object, "url", target.url, url_of({"smtp", "smtps"}));
          },
          [&] { return required_field(object, "from", target.from, read_mail_address); },
          [&] { return required_field(object, "to", target.to, read_mail_list); },
          [&] { return optional_field(object, "username", target.username, read_token); },
          [&] { return optional_field(object, "password_file", target.password_file, path); },
          [&] { return optional_field(object, "starttls", target.starttls, read_bool); },
          [&] { return optional_field(object, "ca_file", target.ca_file, path); },
      });
      if (read && target.username && !target.password_file) {
        return object.at.key("password_file").fail("is required with username");
      }
      if (read && target.password_file && !target.username) {
        return object.at.key("username").fail("is required with password_file");
      }
      return read;
    }
    case NotifyType::command:
      return required_field(object, "command", target.command, read_argv);
  }
  return {};
}

Result<NotifyTarget> read_target(const Json& value, const FieldPath& at) {
  if (!value.is_object()) return at.fail("must be an object");
  NotifyTarget target;
  const auto type = one_of<NotifyType>({{"webhook", NotifyType::webhook},
                                        {"email", NotifyType::email},
                                        {"ping", NotifyType::ping},
                                        {"command", NotifyType::command}});
  const auto type_value = value.find("type");
  if (type_value == value.end()) return at.key("type").fail("is required");
  auto parsed_type = type(*type_value, at.key("type"));
  if (!parsed_type) return std::unexpected(parsed_type.error());
  target.type = *parsed_type;
  const auto object = open_object(value, at, target_keys(target.type));
  if (!object) return std::unexpected(object.error());
  const auto read = run_steps({
      [&] { return required_field(*object, "name", target.name, read_node_id); },
      [&] { return read_type_fields(*object, target); },
      [&] { return optional_field(*object, "timeout", target.timeout, read_duration); },
      [&] { return optional_field(*object, "retries", target.retries, int_in(0, 10)); },
      [&] {
        return optional_field(*object, "renotify", target.renotify, read_duration_allow_zero);
      },
      [&] { return optional_field(*object, "queue_limit", target.queue_limit, int_in(1, 10000)); },
      [&] { return optional_field(*object, "match", target.match, read_match); },
  });
  if (!read) return std::unexpected(read.error());
  return target;
}

}  // namespace

Result<std::vector<NotifyTarget>> read_notify_targets(const Json& value, const FieldPath& at) {
  if (!value.is_array()) return at.fail("must be an array");
  std::vector<NotifyTarget> targets;
  for (std::size_t i = 0; i < value.size(); ++i) {
    auto target = read_target(value[i], at.index(i));
    if (!target) return std::unexpected(target.error());
    for (std::size_t j = 0; j < targets.size(); ++j) {
      if (targets[j].name == target->name) {
        return at.index(i).key("name").fail("duplicate target name \"" + target->name +
                                            "\" (also " + at.index(j).str() + ")");
      }
    }
    targets.push_back(std::move(*target));
  }
  return targets;
}

Result<RepositorySpace> read_repository_space(const Json& value, const FieldPath& at) {
  const auto object =
      open_object(value, at, {"min_free", "min_free_percent", "days_left", "check_interval"});
  if (!object) return std::unexpected(object.error());
  RepositorySpace space;
  const auto read = run_steps({
      [&] { return optional_field(*object, "min_free", space.min_free_bytes, read_byte_size); },
      [&] {
        return optional_field(*object, "min_free_percent", space.min_free_percent, int_in(0, 99));
      },
      [&] { return optional_field(*object, "days_left", space.days_left, int_in(0, 3650)); },
      [&] {
        return optional_field(*object, "check_interval", space.check_interval, read_duration);
      },
  });
  if (!read) return std::unexpected(read.error());
  if (space.min_free_bytes == 0 && space.min_free_percent == 0 && space.days_left == 0) {
    return at.fail("needs min_free, min_free_percent or days_left");
  }
  return space;
}

Result<Hooks> read_hooks(const Json& value, const FieldPath& at, const Hooks& base) {
  const auto object = open_object(value, at, {"before", "after", "timeout", "before_failure"});
  if (!object) return std::unexpected(object.error());
  Hooks hooks = base;
  const auto line = [](const Json& v, const FieldPath& a) -> Result<std::optional<std::string>> {
    auto text = read_string(v, a);
    if (!text) return std::unexpected(text.error());
    if (text->empty()) return a.fail("must not be empty");
    if (text->find('\0') != std::string::npos) return a.fail("must not contain NUL");
    return std::optional<std::string>(std::move(*text));
  };
  const auto on_failure = one_of<bool>({{"fail", true}, {"continue", false}});
  const auto read = run_steps({
      [&] { return optional_field(*object, "before", hooks.before, line); },
      [&] { return optional_field(*object, "after", hooks.after, line); },
      [&] { return optional_field(*object, "timeout", hooks.timeout, read_duration); },
      [&] {
        return optional_field(*object, "before_failure", hooks.before_failure_fails, on_failure);
      },
  });
  if (!read) return std::unexpected(read.error());
  return hooks;
}

}  // namespace nb::config::detail
