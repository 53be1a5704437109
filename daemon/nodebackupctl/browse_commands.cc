// Reading single files and differences out of snapshots: `cat` and `changes`.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "common/exit_codes.h"
#include "nodebackupctl/repo_access.h"
#include "repo/browse.h"
#include "repo/file_content.h"
#include "repo/snapshot_diff.h"
#include "repo/tree_json.h"
#include "util/file.h"
#include "util/json_text.h"

namespace nb::ctl {

int cat(const Invocation& inv) {
  if (inv.args.size() != 3) return usage("cat NODE SNAPSHOT|latest PATH");
  int code = kExitOk;
  auto repo = open_repo(inv, code);
  if (!repo) return code;
  const auto lock = read_lock(*repo);
  auto record = repo->find_snapshot(inv.args[0], inv.args[1]);
  if (!record) return failure(record.error());
  const std::string& path = inv.args[2];
  auto entry = repo::find_entry(*repo, *record, path);
  if (!entry) return failure(entry.error());
  // Straight to stdout chunk by chunk: a 50 GiB dump is never held. A chunk that fails its
  // check stops the output before any of its bytes are written, with exit status 1.
  auto written = repo::read_file_content(*repo, *entry, path, [](std::string_view chunk) {
    return write_all(STDOUT_FILENO, chunk, "standard output");
  });
  if (!written) return failure(written.error());
  return kExitOk;
}

namespace {

std::string type_change(const repo::Change& c) {
  return std::string(" (") + type_name(c.old_type) + " -> " + type_name(c.new_type) + ")";
}

nlohmann::json change_json(const repo::Change& c) {
  nlohmann::json j = {{"change", repo::change_name(c.kind)}};
  repo::put_bytes(j, "path", c.path);
  if (c.kind != repo::ChangeKind::added) j["old_type"] = type_name(c.old_type);
  if (c.kind != repo::ChangeKind::removed) j["type"] = type_name(c.new_type);
  return j;
}

}  // namespace

int changes(const Invocation& inv) {
  if (inv.args.size() != 3) return usage("changes NODE SNAPSHOT_A SNAPSHOT_B [--json]");
  int code = kExitOk;
  auto repo = open_repo(inv, code);
  if (!repo) return code;
  const auto lock = read_lock(*repo);
  auto from = repo->find_snapshot(inv.args[0], inv.args[1]);
  if (!from) return failure(from.error());
  auto to = repo->find_snapshot(inv.args[0], inv.args[2]);
  if (!to) return failure(to.error());
  nlohmann::json out = nlohmann::json::array();
  auto stats = repo::diff_snapshots(*repo, *from, *to, [&](const repo::Change& c) {
    if (inv.json) {
      out.push_back(change_json(c));
      return;
    }
    std::printf("%s %s%s\n", repo::change_marker(c.kind), printable(c.path).c_str(),
                c.kind == repo::ChangeKind::type ? type_change(c).c_str() : "");
  });
  if (!stats) return failure(stats.error());
  if (inv.json) std::cout << out.dump(2) << "\n";
  return kExitOk;
}

}  // namespace nb::ctl
