// nodebackupctl: the operator's tool. Parses options and dispatches to a command.
#include <boost/program_options.hpp>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "common/exit_codes.h"
#include "common/logging.h"
#include "nodebackupctl/commands.h"

namespace po = boost::program_options;

namespace {

using nb::ctl::Invocation;

// A command and the options it takes: anything else on its command line is a usage error, so
// a misplaced `status --dry-run` is refused instead of silently ignored.
struct Command {
  const char* name;
  const char* synopsis;
  const char* summary;
  int (*fn)(const Invocation&);
  std::vector<std::string> options;
};

const std::vector<Command>& commands() {
  static const std::vector<Command> all = {
      {"status",
       "status [--json]",
       "nodes, last runs, next runs, alarms",
       nb::ctl::status,
       {"json"}},
      {"run",
       "run NODE [--wait] [--json]",
       "back up NODE now (--wait: show progress, result)",
       nb::ctl::run,
       {"wait", "json"}},
      {"diff", "diff NODE [--json]", "what a run would read now, and why", nb::ctl::diff, {"json"}},
      {"reload", "reload", "re-read the configuration", nb::ctl::reload, {}},
      {"metrics", "metrics", "Prometheus metrics", nb::ctl::metrics, {}},
      {"notify-test",
       "notify-test [TARGET] [--json]",
       "send a test event to TARGET (else every notification target) and show the outcome",
       nb::ctl::notify_test,
       {"json"}},
      {"snapshots",
       "snapshots [NODE] [--json]",
       "list snapshots, oldest first",
       nb::ctl::snapshots,
       {"json"}},
      {"ls", "ls NODE SNAPSHOT|latest [PATH]", "list what a snapshot holds", nb::ctl::ls, {}},
      {"restore",
       "restore NODE SNAPSHOT|latest [PATH...] (--target DIR | --to-node [--target DIR]) "
       "[--dry-run]",
       "restore to DIR/<absolute path on the node> here, or (--to-node) onto the node itself, "
       "at its / or DIR",
       nb::ctl::restore,
       {"target", "to-node", "dry-run"}},
      {"cat",
       "cat NODE SNAPSHOT|latest PATH",
       "write one file of a snapshot to standard output, verified against its hash",
       nb::ctl::cat,
       {}},
      {"changes",
       "changes NODE SNAPSHOT_A SNAPSHOT_B [--json]",
       "what was added (+), removed (-), modified (M), changed metadata only (U) or type (T) "
       "from A to B",
       nb::ctl::changes,
       {"json"}},
      {"verify",
       "verify [--read-data|--fast|--read-data-subset N%]",
       "check every index, pack and reference and re-hash every blob (--fast: no data; "
       "N%: a slice of the packs, rotating daily)",
       nb::ctl::verify,
       {"read-data", "fast", "read-data-subset"}},
      {"prune",
       "prune [--node ID] [--dry-run] [--json]",
       "drop the snapshots the retention policy lets go, then the blobs no snapshot "
       "references",
       nb::ctl::prune,
       {"node", "dry-run", "json"}},
      {"copy",
       "copy --to REPO [--node ID]",
       "copy the snapshots REPO lacks, and the blobs they need, to REPO (a directory or "
       "s3://bucket/prefix)",
       nb::ctl::copy,
       {"to", "node"}},
      {"init",
       "init [--encrypt]",
       "create the repository (--encrypt: with the configured passphrase)",
       nb::ctl::init,
       {"encrypt"}},
      {"migrate",
       "migrate [--encrypt]",
       "convert a 0.1.0 (format 1) repository to format 2",
       nb::ctl::migrate,
       {"encrypt"}},
      {"key",
       "key passwd --new-password-file PATH",
       "re-wrap the repository key with the passphrase in PATH",
       nb::ctl::key,
       {"new-password-file"}},
  };
  return all;
}

po::options_description global_options(Invocation& inv) {
  po::options_description d("Options");
  d.add_options()("help,h", "show this help")(
      "config,c", po::value(&inv.config)->value_name("PATH"),
      "configuration file (default /etc/nodebackup/config.json)")(
      "socket,s", po::value(&inv.socket)->value_name("PATH"), "the daemon's control socket");
  return d;
}

po::options_description command_options(const Command& c, Invocation& inv) {
  po::options_description d(std::string(c.name) + " options");
  for (const auto& o : c.options) {
    if (o == "json") d.add_options()("json", po::bool_switch(&inv.json), "machine-readable output");
    if (o == "wait") {
      d.add_options()("wait", po::bool_switch(&inv.wait), "wait for the run to end, with progress");
    }
    if (o == "target") {
      d.add_options()("target", po::value(&inv.target)->value_name("DIR"), "where to restore to");
    }
    if (o == "fast") d.add_options()("fast", po::bool_switch(&inv.fast), "check references only");
    if (o == "read-data") {
      d.add_options()("read-data", po::bool_switch(&inv.read_data),
                      "re-hash every blob (the default)");
    }
    if (o == "read-data-subset") {
      d.add_options()("read-data-subset", po::value(&inv.read_data_subset)->value_name("N%"),
                      "read N% of the packs, a different slice each day");
    }
    if (o == "encrypt") {
      d.add_options()("encrypt", po::bool_switch(&inv.encrypt),
                      "encrypt, with the passphrase of repository_password_file");
    }
    if (o == "new-password-file") {
      d.add_options()("new-password-file", po::value(&inv.new_password_file)->value_name("PATH"),
                      "the file holding the new passphrase (0600)");
    }
    if (o == "to") {
      d.add_options()("to", po::value(&inv.to)->value_name("REPO"), "the target repository");
    }
    if (o == "node") {
      d.add_options()("node", po::value(&inv.node)->value_name("ID"), "only this node's snapshots");
    }
    if (o == "dry-run") {
      d.add_options()("dry-run", po::bool_switch(&inv.dry_run),
                      c.name == std::string("restore") ? "show what would be written, write nothing"
                                                       : "show what would go, delete nothing");
    }
    if (o == "to-node") {
      d.add_options()("to-node", po::bool_switch(&inv.to_node),
                      "write onto the node (over SSH, or here for a local node) instead of here");
    }
  }
  return d;
}

std::string usage(const po::options_description& global) {
  std::ostringstream out;
  out << "Usage: nodebackupctl [options] COMMAND [ARGS]\n"
         "Commands on the running daemon (-s SOCKET, else the config's control_socket), then "
         "on the repository\n(with or without a daemon; -c CONFIG):\n";
  for (const auto& c : commands()) {
    out << "  " << c.synopsis << "\n      " << c.summary << "\n";
  }
  out << "nodebackupctl COMMAND --help shows a command's options.\n" << global;
  return out.str();
}

const Command* find_command(const std::string& name) {
  for (const auto& c : commands()) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  Invocation inv;
  const auto global = global_options(inv);
  po::options_description words;
  words.add_options()("words", po::value<std::vector<std::string>>());
  po::positional_options_description positional;
  positional.add("words", -1);

  // First the global options and the command word; the command's own options are not known
  // yet, so anything else is left for the second pass.
  po::variables_map first;
  try {
    po::options_description all;
    all.add(global).add(words);
    po::store(po::command_line_parser(argc, argv)
                  .options(all)
                  .positional(positional)
                  .allow_unregistered()
                  .run(),
              first);
  } catch (const po::error& e) {
    std::cerr << "nodebackupctl: " << e.what() << "\n" << usage(global);
    return nb::kExitUsage;
  }
  if (!first.count("words")) {
    (first.count("help") ? std::cout : std::cerr) << usage(global);
    return first.count("help") ? nb::kExitOk : nb::kExitUsage;
  }
  inv.command = first["words"].as<std::vector<std::string>>().front();
  const Command* command = find_command(inv.command);
  if (command == nullptr) {
    std::cerr << "nodebackupctl: unknown command \"" << inv.command << "\"\n" << usage(global);
    return nb::kExitUsage;
  }

  // Then the whole line again, with exactly the options this command takes.
  const auto own = command_options(*command, inv);
  po::options_description all;
  all.add(global).add(own).add(words);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "nodebackupctl " << command->name << ": " << e.what() << "\nUsage: nodebackupctl "
              << command->synopsis << "\n"
              << own;
    return nb::kExitUsage;
  }
  if (vm.count("help")) {
    std::cout << "Usage: nodebackupctl [options] " << command->synopsis << "\n"
              << command->summary << "\n"
              << own << global;
    return nb::kExitOk;
  }
  const auto all_words = vm["words"].as<std::vector<std::string>>();
  inv.args.assign(all_words.begin() + 1, all_words.end());
  (void)nb::setup_logging("warning");
  try {
    return command->fn(inv);
  } catch (const nlohmann::json::exception& e) {
    // Only a reply that is not what the protocol says gets here.
    std::cerr << "nodebackupctl: unexpected reply from the daemon: " << e.what() << "\n";
    return nb::kExitFailure;
  }
}
