#include <algorithm>

#include "config/config.h"
#include "config/duration.h"

namespace nb::config {
namespace {

std::string describe_retention(const Retention& retain) {
  const std::pair<const char*, int> counts[] = {
      {"last", retain.last},     {"hourly", retain.hourly},   {"daily", retain.daily},
      {"weekly", retain.weekly}, {"monthly", retain.monthly}, {"yearly", retain.yearly}};
  std::string out;
  for (const auto& [name, count] : counts) {
    if (count > 0) out += std::string(out.empty() ? "" : " ") + name + " " + std::to_string(count);
  }
  return out.empty() ? "nothing" : out;
}

// "backup@192.0.2.12:22 via sftp"; an IPv6 address is bracketed so the port stays readable.
std::string describe_ssh(const SshSettings& ssh) {
  const bool ipv6 = ssh.host.find(':') != std::string::npos;
  const std::string host = ipv6 ? "[" + ssh.host + "]" : ssh.host;
  return ssh.user + "@" + host + ":" + std::to_string(ssh.port) + " via " +
         (ssh.transport == Transport::sftp ? "sftp" : "exec") + ", host keys " + ssh.known_hosts +
         (ssh.host_key_policy == HostKeyPolicy::strict ? " (strict)" : " (accept-new)");
}

std::string describe_node(const NodeConfig& node) {
  std::string out = "  " + node.id + ": " +
                    (node.ssh ? "ssh " + describe_ssh(*node.ssh) : std::string("local")) + "\n";
  out += "    every " + format_duration(node.interval) + " (jitter " +
         format_duration(node.jitter) + "), retain " + describe_retention(node.retain) + "\n";
  for (const std::string& path : node.paths) out += "    path " + path + "\n";
  for (const std::string& pattern : node.exclude) out += "    exclude " + pattern + "\n";
  for (const std::string& file : node.exclude_from) out += "    exclude from " + file + "\n";
  if (node.exclude_larger_than) {
    out += "    exclude files over " + std::to_string(*node.exclude_larger_than) + " bytes\n";
  }
  if (node.hooks.before) out += "    before " + *node.hooks.before + "\n";
  if (node.hooks.after) out += "    after " + *node.hooks.after + "\n";
  for (const auto& dump : node.dumps) {
    out += "    dump " + dump.name + " (timeout " + format_duration(dump.timeout) +
           "): " + dump.command + "\n";
  }
  return out;
}

std::string describe_target(const NotifyTarget& target) {
  std::string out = "  " + target.name + ": " + to_string(target.type);
  if (target.type == NotifyType::command) {
    out += " " + target.command.front();
  } else {
    out += " " + target.url;
  }
  out += ", timeout " + format_duration(target.timeout) + ", " + std::to_string(target.retries) +
         " retries, severity >= " + to_string(target.match.min_severity) + "\n";
  return out;
}

// "127.0.0.1:9810 (plain)" or "0.0.0.0:9810 (TLS, token)".
std::string describe_http(const HttpSettings& http) {
  return http.listen() + (http.tls_cert ? " (TLS" : " (plain") +
         (http.token_file ? ", token)" : ")");
}

}  // namespace

const char* to_string(Severity severity) {
  switch (severity) {
    case Severity::info:
      return "info";
    case Severity::warning:
      return "warning";
    case Severity::error:
      return "error";
  }
  return "error";
}

const char* to_string(NotifyType type) {
  switch (type) {
    case NotifyType::webhook:
      return "webhook";
    case NotifyType::email:
      return "email";
    case NotifyType::ping:
      return "ping";
    case NotifyType::command:
      return "command";
  }
  return "webhook";
}

const NotifyTarget* Config::find_target(std::string_view name) const {
  const auto it = std::find_if(notify.begin(), notify.end(),
                               [&](const NotifyTarget& target) { return target.name == name; });
  return it == notify.end() ? nullptr : &*it;
}

const NodeConfig* Config::find_node(std::string_view id) const {
  const auto it = std::find_if(nodes.begin(), nodes.end(),
                               [&](const NodeConfig& node) { return node.id == id; });
  return it == nodes.end() ? nullptr : &*it;
}

std::string describe(const Config& config) {
  std::string out = "config " + config.source + "\n";
  out += "  repository:              " + config.repository + "\n";
  out += "  state_dir:               " + config.state_dir + "\n";
  out += "  control_socket:          " + config.control_socket + "\n";
  out += "  store_snapshot_interval: " + format_duration(config.store_snapshot_interval) + "\n";
  out += "  max_concurrent_jobs:     " + std::to_string(config.max_concurrent_jobs) + "\n";
  out += "  prune_interval:          " +
         (config.prune_interval ? format_duration(*config.prune_interval) : "off") + "\n";
  out += "  metrics_textfile:        " + config.metrics_textfile.value_or("off") + "\n";
  out += "  http:                    " + (config.http ? describe_http(*config.http) : "off") + "\n";
  out += "nodes (" + std::to_string(config.nodes.size()) + "):\n";
  for (const NodeConfig& node : config.nodes) out += describe_node(node);
  if (!config.notify.empty()) {
    out += "notify (" + std::to_string(config.notify.size()) + "):\n";
    for (const NotifyTarget& target : config.notify) out += describe_target(target);
  }
  if (!config.copies.empty()) {
    out += "copy (" + std::to_string(config.copies.size()) + "):\n";
    for (const CopyTarget& copy : config.copies) {
      out += "  " + copy.to + ": " + (copy.node.empty() ? "every node" : "node " + copy.node) +
             ", every " + format_duration(copy.interval) + "\n";
    }
  }
  return out;
}

}  // namespace nb::config
