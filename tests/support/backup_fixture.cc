#include "support/backup_fixture.h"

#include <filesystem>
#include <stdexcept>

namespace nb::test {

namespace {

std::unique_ptr<repo::Repository> create_repository(const std::string& dir,
                                                    std::unique_ptr<repo::Storage> storage) {
  repo::OpenOptions options;
  options.create = true;
  auto opened = storage ? repo::Repository::open(std::move(storage), options)
                        : repo::Repository::open(dir, /*create=*/true);
  if (!opened) throw std::runtime_error(opened.error().message());
  return std::move(*opened);
}

}  // namespace

BackupFixture::BackupFixture(const std::string& world_name)
    : BackupFixture(make_fs_world(world_name), nullptr) {}

BackupFixture::BackupFixture(const NodeUnderTest& node)
    : BackupFixture(make_fs_world(node), nullptr) {}

BackupFixture::BackupFixture(const NodeUnderTest& node, std::unique_ptr<repo::Storage> storage)
    : BackupFixture(make_fs_world(node), std::move(storage)) {}

BackupFixture::BackupFixture(std::unique_ptr<FsWorld> source,
                             std::unique_ptr<repo::Storage> storage)
    : world(std::move(source)),
      src(world->path("")),
      state_dir(dir / "state"),
      repo_dir(dir / "repo") {
  std::filesystem::create_directories(state_dir);
  repo = create_repository(repo_dir, std::move(storage));
  fs = std::make_unique<RecordingFs>(world->fs());
}

backup::JobResult BackupFixture::run() {
  fs->reset();
  return backup::BackupJob("01_node", {src}, options).run(*fs, store, *repo);
}

void BackupFixture::reconnect() {
  fs.reset();
  world->reconnect();
  fs = std::make_unique<RecordingFs>(world->fs());
}

void BackupFixture::make_files(int n) {
  for (int i = 0; i < n; ++i) {
    write("f" + std::to_string(i), "content of file " + std::to_string(i) + "\n");
  }
}

std::optional<store::Entry> BackupFixture::entry(const std::string& path) const {
  const auto entries = store.entries("01_node");
  const auto it = entries->find(path);
  if (it == entries->end()) return std::nullopt;
  return it->second;
}

}  // namespace nb::test
