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

// How bad an event is: matchers select events of at least a severity.
enum class Severity { info, warning, error };

// Commands run around each of a node's runs (hooks), on the node itself: locally for a local
// node, over the node's SSH connection for an ssh node. Shell command lines.
struct Hooks {
  std::optional<std::string> before, after;
  std::chrono::seconds timeout{std::chrono::minutes(5)};
  // A failing `before` fails the run (the default) or is reported and the run goes on.
  bool before_failure_fails = true;
  bool operator==(const Hooks&) const = default;
};

// A dump (lib/backup/dumps.h): a command run on the node whose standard output is stored as
// the file `name` of the snapshot's reserved root, kDumpRoot.
struct DumpConfig {
  std::string name;     // one path component, unique in the node
  std::string command;  // a shell command line
  std::chrono::seconds timeout{std::chrono::hours(6)};
  bool operator==(const DumpConfig&) const = default;
};

// Where a snapshot keeps the node's dumps; a configured path may not lie there. The same as
// backup::kDumpRoot (lib/config cannot see lib/backup; a test holds them equal).
inline constexpr std::string_view kDumpRoot = "/.nodebackup-dumps";

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
  bool one_file_system = false;                    // directories on other filesystems kept empty
  std::vector<std::string> exclude_if_present;     // tag files: their directory keeps only them
  Retention retain;
  std::optional<SshSettings> ssh;  // set iff type == ssh
  // A run_failed event is sent once this many runs in a row have failed.
  int failures_before_notify = 1;
  // The stale alarm: no successful run for this long. Unset: 3 × interval.
  std::optional<std::chrono::seconds> stale_after;
  Hooks hooks;
  std::vector<DumpConfig> dumps;  // run after the files, in this order
  bool operator==(const NodeConfig&) const = default;

  std::chrono::seconds stale_limit() const { return stale_after.value_or(3 * interval); }
};

// Which events a notification target is sent.
struct NotifyMatch {
  Severity min_severity = Severity::info;
  // Event kinds ("run_failed") or alarm kinds ("stale"); empty: every event kind except the
  // per-run run_started and run_finished (those are for ping targets).
  std::vector<std::string> kinds;
  std::vector<std::string> nodes;  // empty: every node, and the repository's own events
  bool operator==(const NotifyMatch&) const = default;
};

enum class NotifyType { webhook, email, ping, command };
// The body a webhook gets: nodebackup's JSON event, or what ntfy, Slack-style incoming
// webhooks or Gotify expect.
enum class WebhookFormat { json, ntfy, slack, gotify };

// Where events are sent. Secrets (tokens, passwords) are never in the config: headers_file
// and password_file are read at each delivery.
struct NotifyTarget {
  std::string name;  // as a node id
  NotifyType type = NotifyType::webhook;
  std::string url;                          // webhook, ping (success), email (smtp:// or smtps://)
  std::string start_url, fail_url;          // ping: default url + "/start" and url + "/fail"
  std::optional<std::string> headers_file;  // webhook, ping: "Name: value" lines
  std::optional<std::string> ca_file;       // a CA bundle for TLS instead of the system's
  WebhookFormat format = WebhookFormat::json;
  std::string from;                                    // email
  std::vector<std::string> to;                         // email
  std::optional<std::string> username, password_file;  // email: SMTP AUTH
  bool starttls = true;              // email over smtp://: refuse to send unless STARTTLS succeeds
  std::vector<std::string> command;  // command: program and arguments, no shell
  std::chrono::seconds timeout{10};  // per attempt
  int retries = 3;                   // attempts after the first
  std::chrono::seconds renotify{std::chrono::hours(24)};  // 0: never resend a standing alarm
  int queue_limit = 100;
  NotifyMatch match;
  bool operator==(const NotifyTarget&) const = default;
};

// The repository_space alarm: free space of the repository's filesystem below a floor, or
// running out within days_left at the rate it has been shrinking.
struct RepositorySpace {
  uint64_t min_free_bytes = 0;
  int min_free_percent = 0;
  int days_left = 0;  // 0: no trend check
  std::chrono::seconds check_interval{std::chrono::minutes(10)};
  bool operator==(const RepositorySpace&) const = default;
};

// Where an "s3://bucket/prefix" repository's store is and how to sign in (docs/s3.md).
struct S3Config {
  std::string endpoint;  // "http://127.0.0.1:7480": path-style requests go to <endpoint>/<bucket>
  std::string region = "us-east-1";
  // AWS_ACCESS_KEY_ID=… and AWS_SECRET_ACCESS_KEY=… lines; refused when group/other may read it.
  std::string credentials_file;
  // A lock lease not renewed for this long is taken for its holder's death (docs/s3.md).
  std::chrono::seconds lease{120};
  bool operator==(const S3Config&) const = default;
};

// An off-site copy the daemon makes on a schedule (nodebackupctl copy's work): the complete
// snapshots the target lacks, with the blobs they need, of every node or of one.
struct CopyTarget {
  std::string to;  // a directory, or "s3://bucket/prefix" on the store of the config's "s3"
  std::chrono::seconds interval{std::chrono::hours(24)};
  std::string node;  // empty: every node
  bool operator==(const CopyTarget&) const = default;

  // What the daemon calls it in logs, status and events: "/mnt/offsite" or "s3://b/p (02_node)".
  std::string name() const { return node.empty() ? to : to + " (" + node + ")"; }
};

struct Config {
  std::string source;  // the file it was read from
  // A directory, or "s3://bucket/prefix" (then `s3` says where the store is).
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
  std::vector<NotifyTarget> notify;
  std::optional<RepositorySpace> repository_space;  // unset: not checked
  std::optional<S3Config> s3;                       // set when the repository or a copy is s3://
  std::vector<CopyTarget> copies;                   // the "copy" array; (to, node) pairs unique

  const NodeConfig* find_node(std::string_view id) const;        // nullptr if absent
  const NotifyTarget* find_target(std::string_view name) const;  // nullptr if absent
};

// Reads the file (an errno error naming the file on failure), then parse_config.
Result<Config> load_config(const std::string& path);

// Parses and validates config text. On failure returns exactly one error, the first found, as
// fail("config", source, 0, "<field path>: <problem>"), e.g. "nodes[1].port: must be an integer
// from 1 to 65535", or "line L column C: <reason>" for a JSON syntax error.
Result<Config> parse_config(std::string_view text, const std::string& source);

// "info", "warning", "error".
const char* to_string(Severity severity);
const char* to_string(NotifyType type);

// Multi-line human summary for `nodebackupd --check-config`.
std::string describe(const Config& config);

}  // namespace nb::config
