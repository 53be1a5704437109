// Everything a backup test needs: a source tree, a repository, a hash store and a NodeFs under
// test wrapped in a RecordingFs. The source tree is an FsWorld: a real directory read through
// the local, SFTP or exec filesystem, or an in-memory MemoryFs. A test arranges the source
// through the fixture (write, append, remove, …) by relative name, so the same test runs over
// every kind of node; tests of job logic that does not depend on the transport run on
// "memory", which needs no disk tree, root or sshd.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backup/backup_job.h"
#include "repo/repository.h"
#include "store/hash_store.h"
#include "support/fs_world.h"
#include "support/recording_fs.h"
#include "support/temp_dir.h"

namespace nb::test {

class BackupFixture {
 public:
  // A source in the FsWorld of that name (see fs_world_names()).
  explicit BackupFixture(const std::string& world = "memory");
  // A source on disk, read through `node`.
  explicit BackupFixture(const NodeUnderTest& node);
  // The same, with the repository in `storage` (an S3 bucket) instead of repo_dir.
  BackupFixture(const NodeUnderTest& node, std::unique_ptr<repo::Storage> storage);

  // Runs the job for node "01_node" over `src`, with the recording reset first.
  backup::JobResult run();
  // A new NodeFs (a new connection for an ssh node); the recording's fault settings are lost.
  void reconnect();
  // The path, on the node, of a name in the source tree.
  std::string file(const std::string& name) const { return world->path(name); }
  // f0 … f{n-1}, each with distinct content, an hour old.
  void make_files(int n);
  // The source tree, changed as a user on the node would.
  void write(const std::string& name, const std::string& content, int64_t age_s = 3600) {
    world->write(name, content, age_s);
  }
  void append(const std::string& name, const std::string& more) { world->append(name, more); }
  void touch(const std::string& name, int64_t age_s) { world->touch(name, age_s); }
  void remove(const std::string& name) { world->remove(name); }
  void chmod(const std::string& name, unsigned mode) { world->chmod(name, mode); }
  void mkfifo(const std::string& name) { world->mkfifo(name); }

  std::optional<store::Entry> entry(const std::string& path) const;
  uint64_t repo_bytes() const { return tree_bytes(repo_dir); }

  TempDir dir;
  std::unique_ptr<FsWorld> world;
  std::string src, state_dir, repo_dir;
  store::HashStore store;
  std::unique_ptr<repo::Repository> repo;
  std::unique_ptr<RecordingFs> fs;
  backup::JobOptions options;

 private:
  BackupFixture(std::unique_ptr<FsWorld> source, std::unique_ptr<repo::Storage> storage);
};

}  // namespace nb::test
