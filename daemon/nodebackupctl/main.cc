// nodebackupctl: the operator's tool. Parses options and dispatches to a command.
#include <boost/program_options.hpp>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "common/exit_codes.h"
#include "common/logging.h"
#include "nodebackupctl/commands.h"

namespace po = boost::program_options;

namespace {

const char* const kUsage =
    "Usage: nodebackupctl [options] COMMAND [ARGS]\n"
    "Commands (on the running daemon; -s SOCKET, else the config's control_socket):\n"
    "  status [--json]                   nodes, last runs, next runs, alarms\n"
    "  run NODE [--wait]                 back up NODE now (--wait: show progress, result)\n"
    "  diff NODE [--json]                what a run would read now, and why\n"
    "  reload                            re-read the configuration\n"
    "  metrics                           Prometheus metrics\n"
    "Commands (on the repository, with or without a daemon; -c CONFIG):\n"
    "  snapshots [NODE] [--json]         list snapshots, oldest first\n"
    "  ls NODE SNAPSHOT|latest [PATH]    list what a snapshot holds\n"
    "  restore NODE SNAPSHOT|latest [PATH...] --target DIR\n"
    "                                    restore to DIR/<absolute path on the node>\n"
    "  verify [--read-data|--fast|--read-data-subset N%]\n"
    "                                    check every index, pack and reference, re-hash every\n"
    "                                    blob (--fast: no data; N%: a slice, rotating daily)\n"
    "  prune [--node ID] [--dry-run] [--json]\n"
    "                                    drop the snapshots the retention policy lets go,\n"
    "                                    then the objects no snapshot references\n"
    "  init [--encrypt]                  create the repository (--encrypt: with the passphrase\n"
    "                                    of repository_password_file)\n"
    "  migrate [--encrypt]               convert a 0.1.0 (format 1) repository to format 2\n"
    "  key passwd --new-password-file F  re-wrap the repository key with F's passphrase\n";

}  // namespace

int main(int argc, char** argv) {
  nb::ctl::Invocation inv;
  po::options_description desc("Options");
  desc.add_options()("help,h", "show this help")(
      "config,c", po::value(&inv.config)->value_name("PATH"),
      "configuration file (default /etc/nodebackup/config.json)")(
      "socket,s", po::value(&inv.socket)->value_name("PATH"), "the daemon's control socket")(
      "json", po::bool_switch(&inv.json), "machine-readable output")(
      "target", po::value(&inv.target)->value_name("DIR"), "restore: where to restore to")(
      "fast", po::bool_switch(&inv.fast), "verify: check references only")(
      "read-data", po::bool_switch(&inv.read_data), "verify: re-hash every object (default)")(
      "node", po::value(&inv.node)->value_name("ID"), "prune: only this node's snapshots")(
      "dry-run", po::bool_switch(&inv.dry_run), "prune: show what would go, delete nothing")(
      "read-data-subset", po::value(&inv.read_data_subset)->value_name("N%"),
      "verify: read N% of the packs, a different slice each day")(
      "encrypt", po::bool_switch(&inv.encrypt), "init, migrate: encrypt the repository")(
      "new-password-file", po::value(&inv.new_password_file)->value_name("PATH"),
      "key passwd: the file holding the new passphrase (0600)")(

      "wait", po::bool_switch(&inv.wait), "run: wait for the run to end, showing progress");
  po::options_description hidden;
  hidden.add_options()("words", po::value<std::vector<std::string>>());
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description positional;
  positional.add("words", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "nodebackupctl: " << e.what() << "\n" << kUsage << desc;
    return nb::kExitUsage;
  }
  if (vm.count("help") || !vm.count("words")) {
    (vm.count("help") ? std::cout : std::cerr) << kUsage << desc;
    return vm.count("help") ? nb::kExitOk : nb::kExitUsage;
  }
  auto words = vm["words"].as<std::vector<std::string>>();
  inv.command = words.front();
  inv.args.assign(words.begin() + 1, words.end());
  (void)nb::setup_logging("warning");

  static const std::map<std::string, int (*)(const nb::ctl::Invocation&)> commands = {
      {"snapshots", nb::ctl::snapshots}, {"ls", nb::ctl::ls},
      {"restore", nb::ctl::restore},     {"verify", nb::ctl::verify},
      {"prune", nb::ctl::prune},         {"init", nb::ctl::init},
      {"migrate", nb::ctl::migrate},     {"key", nb::ctl::key},
      {"status", nb::ctl::status},       {"run", nb::ctl::run},
      {"diff", nb::ctl::diff},           {"reload", nb::ctl::reload},
      {"metrics", nb::ctl::metrics}};
  const auto it = commands.find(inv.command);
  if (it == commands.end()) {
    std::cerr << "nodebackupctl: unknown command \"" << inv.command << "\"\n" << kUsage;
    return nb::kExitUsage;
  }
  try {
    return it->second(inv);
  } catch (const nlohmann::json::exception& e) {
    // Only a reply that is not what the protocol says gets here.
    std::cerr << "nodebackupctl: unexpected reply from the daemon: " << e.what() << "\n";
    return nb::kExitFailure;
  }
}
