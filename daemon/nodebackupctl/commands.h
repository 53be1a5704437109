// nodebackupctl's commands. Each returns the process exit code.
#pragma once

#include <string>
#include <vector>

namespace nb::ctl {

struct Invocation {
  std::string config = "/etc/nodebackup/config.json";
  std::string socket;
  std::string command;
  std::vector<std::string> args;
  std::string target;
  std::string node;  // prune --node
  bool json = false;
  bool fast = false;              // verify: references only
  bool read_data = false;         // verify: re-hash every object (the default, said explicitly)
  bool dry_run = false;           // prune, restore
  bool to_node = false;           // restore: onto the node itself
  bool wait = false;              // run: until it ends
  std::string read_data_subset;   // verify: "N%" of the packs, rotating by day
  bool encrypt = false;           // init, migrate
  std::string new_password_file;  // key passwd
  std::string to;                 // copy: the target repository
};

// Commands that work on the repository directly, with or without a daemon.
int snapshots(const Invocation& inv);
int ls(const Invocation& inv);
int restore(const Invocation& inv);
// One file of a snapshot to stdout, verified; what changed between two snapshots.
int cat(const Invocation& inv);
int changes(const Invocation& inv);
int verify(const Invocation& inv);
int prune(const Invocation& inv);
// copy --to REPO [--node ID]: snapshots and the blobs they need, into another repository.
int copy(const Invocation& inv);
// Repository administration: init [--encrypt], migrate [--encrypt], key passwd.
int init(const Invocation& inv);
int migrate(const Invocation& inv);
int key(const Invocation& inv);

// Commands that talk to the running daemon (-s SOCKET, else the config's control_socket).
// Exit 3 when it cannot be reached.
int status(const Invocation& inv);
int run(const Invocation& inv);
int diff(const Invocation& inv);
int reload(const Invocation& inv);
int metrics(const Invocation& inv);
int notify_test(const Invocation& inv);

}  // namespace nb::ctl
