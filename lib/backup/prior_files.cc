#include "backup/prior_files.h"

#include <spdlog/spdlog.h>

#include "repo/browse.h"

namespace nb::backup {

PriorFiles load_prior_files(const repo::Repository& repo, const std::string& node) {
  PriorFiles out;
  auto record = repo.newest_snapshot(node);
  if (!record || !*record) return out;
  const auto& newest = **record;
  for (const auto& root : newest.roots) {
    auto walked = repo::walk_entry(repo, root.path, root.entry,
                                   [&](const std::string& path, const repo::TreeEntry& e) {
                                     if (e.type != FileType::regular || !e.xxh3) return;
                                     out[path] = {*e.xxh3, e.content};
                                   });
    if (!walked) {
      spdlog::warn("{}: snapshot {}: {}; its files are read again", node, newest.id,
                   walked.error().message());
    }
  }
  return out;
}

}  // namespace nb::backup
