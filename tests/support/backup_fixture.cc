#include "support/backup_fixture.h"

#include <filesystem>
#include <stdexcept>

#include "fs/local_fs.h"

namespace nb::test {

std::vector<NodeUnderTest> nodes_under_test() {
  return {{"local", [] { return fs::make_local_fs(); }}};
}

const NodeUnderTest& local_node() {
  static const NodeUnderTest local{"local", [] { return fs::make_local_fs(); }};
  return local;
}

BackupFixture::BackupFixture(const NodeUnderTest& node)
    : src(dir / "src"), state_dir(dir / "state"), repo_dir(dir / "repo") {
  std::filesystem::create_directories(src);
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
