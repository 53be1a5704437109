// nodebackupctl copy --to REPO [--node ID]: an off-site copy of the configured repository's
// snapshots into another one (a directory, or s3://bucket/prefix on the store of the config's
// "s3" object), created plain if missing. Only what the target lacks is sent.
#include <cstdio>

#include "common/exit_codes.h"
#include "common/repository_config.h"
#include "nodebackupctl/repo_access.h"
#include "repo/copy.h"

namespace nb::ctl {

int copy(const Invocation& inv) {
  if (!inv.args.empty() || inv.to.empty()) return usage("copy --to REPO [--node ID]");
  config::Config config;
  int code = kExitOk;
  auto from = open_repo(inv, code, &config);
  if (!from) return code;
  auto to = open_copy_target(config, inv.to);
  if (!to) return failure(to.error());
  repo::CopyOptions options;
  options.node = inv.node;
  auto report = repo::copy_snapshots(*from, **to, options);
  if (!report) return failure(report.error());
  std::printf("%s\n", repo::copy_summary(*report).c_str());
  return kExitOk;
}

}  // namespace nb::ctl
