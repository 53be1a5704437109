#include "support/backup_fixture.h"

#include <filesystem>
#include <stdexcept>

#include "fs/local_fs.h"
#include "fs/ssh/exec_fs.h"
#include "fs/ssh/sftp_fs.h"
#include "support/sshd_fixture.h"

namespace nb::test {

const NodeUnderTest& local_node() {
  static const NodeUnderTest local{"local", [] { return fs::make_local_fs(); }};
  return local;
}

std::vector<NodeUnderTest> nodes_under_test() {
  return {local_node(),
          {"sftp",
           [] {
             auto fs = fs::ssh::open_sftp_fs(SshServer::instance().target());
             if (!fs) throw std::runtime_error(fs.error().message());
             return std::move(*fs);
           }},
          {"exec", [] {
             auto fs = fs::ssh::open_exec_fs(SshServer::instance().target());
             if (!fs) throw std::runtime_error(fs.error().message());
             return std::move(*fs);
           }}};
}

BackupFixture::BackupFixture(const NodeUnderTest& node)
    : src(dir / "src"), state_dir(dir / "state"), repo_dir(dir / "repo") {
  std::filesystem::create_directories(src);
  // Readable by the unprivileged user the ssh nodes log in as.
  std::filesystem::permissions(dir.path(), std::filesystem::perms(0755));
  std::filesystem::create_directories(state_dir);
  auto opened = repo::Repository::open(repo_dir, /*create=*/true);
  if (!opened) throw std::runtime_error(opened.error().message());
  repo = std::move(*opened);
  inner = node.make();
  fs = std::make_unique<RecordingFs>(*inner);
}

backup::JobResult BackupFixture::run() {
  fs->reset();
  return backup::BackupJob("01_node", {src}, options).run(*fs, store, *repo);
}

void BackupFixture::make_files(int n) {
  for (int i = 0; i < n; ++i) {
    write_file(file("f" + std::to_string(i)), "content of file " + std::to_string(i) + "\n");
  }
}

std::optional<store::Entry> BackupFixture::entry(const std::string& path) const {
  const auto entries = store.entries("01_node");
  const auto it = entries->find(path);
  if (it == entries->end()) return std::nullopt;
  return it->second;
}

}  // namespace nb::test
