#include "nodebackupctl/repo_access.h"

#include <iostream>

#include "common/exit_codes.h"
#include "common/repository_config.h"

namespace nb::ctl {

int usage(const std::string& text) {
  std::cerr << "nodebackupctl: usage: nodebackupctl " << text << "\n";
  return kExitUsage;
}

int failure(const Error& error) {
  std::cerr << "nodebackupctl: " << error.message() << "\n";
  return error.kind() == ErrorKind::config ? kExitConfig : kExitFailure;
}

std::unique_ptr<repo::Repository> open_repo(const Invocation& inv, int& code,
                                            config::Config* loaded) {
  auto config = config::load_config(inv.config);
  if (!config) {
    code = failure(config.error());
    return nullptr;
  }
  auto repo = open_repository(*config, /*create=*/false);
  if (!repo) {
    code = failure(repo.error());
    return nullptr;
  }
  if (loaded != nullptr) *loaded = std::move(*config);
  return std::move(*repo);
}

std::optional<repo::RepoLock> read_lock(repo::Repository& repo) {
  auto lock = repo.lock(/*exclusive=*/false);
  if (lock) return std::move(*lock);
  return std::nullopt;
}

}  // namespace nb::ctl
