// Everything a backup test needs: a source tree, a repository, a hash store and a NodeFs under
// test wrapped in a RecordingFs. The seed-critical tests run once per NodeFs implementation
// listed by nodes_under_test(), so each promise is written once and checked for every kind of
// node.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backup/backup_job.h"
#include "repo/repository.h"
#include "store/hash_store.h"
#include "support/recording_fs.h"
#include "support/temp_dir.h"

namespace nb::test {

struct NodeUnderTest {
  std::string name;
  // Makes a NodeFs that sees the local directory tree (directly, or through a server).
  std::function<std::unique_ptr<fs::NodeFs>()> make;
};

std::vector<NodeUnderTest> nodes_under_test();
// The plain local filesystem, for tests of logic that does not depend on the kind of node.
const NodeUnderTest& local_node();

class BackupFixture {
 public:
  explicit BackupFixture(const NodeUnderTest& node);

  // Runs the job for node "01_node" over `src`, with the recording reset first.
  backup::JobResult run();
  std::string file(const std::string& name) const { return src + "/" + name; }
  // f0 … f{n-1}, each with distinct content, an hour old.
  void make_files(int n);
  std::optional<store::Entry> entry(const std::string& path) const;
  uint64_t repo_bytes() const { return tree_bytes(repo_dir); }

  TempDir dir;
  std::string src, state_dir, repo_dir;
  store::HashStore store;
  std::unique_ptr<repo::Repository> repo;
  std::unique_ptr<fs::NodeFs> inner;
  std::unique_ptr<RecordingFs> fs;
  backup::JobOptions options;
};

}  // namespace nb::test
