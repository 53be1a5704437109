// The daemon's configuration (DESIGN §6): what is backed up, from where, how often, and how much
// history is kept. Parsing validates everything up front so that a Config, once obtained, can be
// trusted by the scheduler and the jobs without further checks: every path is absolute and
// normalised, node ids are unique and safe to use as file names, every duration is positive.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/http_settings.h"
#include "util/error.h"

namespace nb::config {

// How many snapshots of a node to keep, per time bucket (as restic's `forget --keep-*`).
struct Retention {
  int last = 24, hourly = 0, daily = 7, weekly = 4, monthly = 0, yearly = 0;
  bool operator==(const Retention&) const = default;
};

enum class NodeType { local, ssh };
// strict refuses hosts missing from known_hosts; accept_new records a first-seen key (OpenSSH's
// StrictHostKeyChecking=accept-new).
enum class HostKeyPolicy { strict, accept_new };
enum class Transport { sftp, exec };

struct SshSettings {
  std::string host;
  int port = 22;
  std::string user;
  std::string identity_file;
  std::string known_hosts;  // defaults to "<state_dir>/known_hosts"
  HostKeyPolicy host_key_policy = HostKeyPolicy::strict;
  Transport transport = Transport::sftp;
  bool operator==(const SshSettings&) const = default;
};

// One node to back up. Settings the node's object leaves out come from the config's "defaults".
struct NodeConfig {
  std::string id;  // [A-Za-z0-9_.-]{1,64}, not "." or "..": used in file names
  NodeType type = NodeType::local;
  std::vector<std::string> paths;  // absolute, no trailing slash, no duplicates
  std::chrono::seconds interval{std::chrono::hours(2)};
  std::chrono::seconds jitter{std::chrono::minutes(2)};  // may be zero
  std::vector<std::string> exclude;                // gitignore-like patterns (lib/backup/exclude.h)
  std::vector<std::string> exclude_from;           // files of patterns, read at load
  std::vector<std::string> exclude_from_patterns;  // what they held, after `exclude`'s
  std::optional<uint64_t> exclude_larger_than;     // regular files of more bytes are left out
  Retention retain;
  std::optional<SshSettings> ssh;  // set iff type == ssh
  bool operator==(const NodeConfig&) const = default;
};

struct Config {
  std::string source;  // the file it was read from
  std::string repository, state_dir;
  std::string control_socket = "/run/nodebackup/control.sock";
  std::chrono::seconds store_snapshot_interval{std::chrono::minutes(5)};
  int max_concurrent_jobs = 2;
  std::optional<std::chrono::seconds> prune_interval;  // unset: no scheduled prune
  std::optional<std::string> metrics_textfile;         // unset: no metrics file
  // An encrypted repository's passphrase (first line), a file the daemon's user alone may read
  // (0600 or stricter). Unset: the systemd credential nodebackup-repository-password, if any.
  std::optional<std::string> repository_password_file;
  std::optional<HttpSettings> http;  // unset: no web dashboard, no /metrics over HTTP
  std::vector<NodeConfig> nodes;

  const NodeConfig* find_node(std::string_view id) const;  // nullptr if absent
};

// Reads the file (an errno error naming the file on failure), then parse_config.
Result<Config> load_config(const std::string& path);

// Parses and validates config text. On failure returns exactly one error, the first found, as
// fail("config", source, 0, "<field path>: <problem>"), e.g. "nodes[1].port: must be an integer
// from 1 to 65535", or "line L column C: <reason>" for a JSON syntax error.
Result<Config> parse_config(std::string_view text, const std::string& source);

// Multi-line human summary for `nodebackupd --check-config`.
std::string describe(const Config& config);

}  // namespace nb::config
