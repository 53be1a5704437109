// The local-directory Storage backend. Durability is today's: temp beside the final name →
// fsync → rename → fsync the directory. Temp names carry ".tmp." so list() never shows them
// and remove_incomplete() finds them.
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <functional>

#include "repo/storage/storage.h"
#include "util/file.h"

namespace nb::repo {

namespace {

bool is_temp(std::string_view name) {
  return name.find(".tmp.") != std::string_view::npos;
}

class FlockLock final : public StorageLock {
 public:
  explicit FlockLock(UniqueFd fd) : fd_(std::move(fd)) {}

 private:
  UniqueFd fd_;
};

// Creates `dir` (and parents up to `root`) 0700; a directory created here is made durable in
// its parent before any file in it is, so a synced file is never lost with its directory entry.
Result<> ensure_dir(const std::string& root, const std::string& dir) {
  struct ::stat st;
  if (::stat(dir.c_str(), &st) == 0) return {};
  if (dir.size() <= root.size()) return {};
  if (auto r = ensure_dir(root, parent_path(dir)); !r) return r;
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return errno_error("create directory", dir, errno);
  }
  return fsync_dir(parent_path(dir));
}

// A temp file in the prefix's directory, renamed to its name on commit (same filesystem).
class LocalPendingFile final : public PendingFile {
 public:
  LocalPendingFile(DurableFile file, std::string root)
      : file_(std::move(file)), root_(std::move(root)) {}

  Result<> append(std::string_view data) override { return file_.write(data); }

  Result<> commit(const std::string& name) override {
    const std::string path = root_ + "/" + name;
    if (auto r = ensure_dir(root_, parent_path(path)); !r) return r;
    return file_.commit_as(path);
  }

 private:
  DurableFile file_;
  std::string root_;
};

// Calls `visit(relative name, size)` for every regular file below `dir` (relative to root).
using FileVisitor = std::function<Result<>(const std::string&, uint64_t)>;

Result<> walk_files(const std::string& root, const std::string& dir, const FileVisitor& visit) {
  const std::string path = dir.empty() ? root : root + "/" + dir;
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return {};
    return errno_error("list directory", path, errno);
  }
  std::vector<std::pair<std::string, unsigned char>> names;
  while (dirent* e = ::readdir(d)) {
    const std::string_view n = e->d_name;
    if (n != "." && n != "..") names.emplace_back(n, e->d_type);
  }
  ::closedir(d);
  for (const auto& [name, type] : names) {
    const std::string rel = dir.empty() ? name : dir + "/" + name;
    struct ::stat st;
    if (::lstat((root + "/" + rel).c_str(), &st) != 0) {
      if (errno == ENOENT) continue;  // deleted while listing
      return errno_error("stat", root + "/" + rel, errno);
    }
    (void)type;
    if (S_ISDIR(st.st_mode)) {
      if (auto r = walk_files(root, rel, visit); !r) return r;
    } else if (S_ISREG(st.st_mode)) {
      if (auto r = visit(rel, static_cast<uint64_t>(st.st_size)); !r) return r;
    }
  }
  return {};
}

class LocalStorage final : public Storage {
 public:
  explicit LocalStorage(std::string root) : root_(std::move(root)) {}

  Result<> put(const std::string& name, std::string_view data) override {
    const std::string path = describe(name);
    if (auto r = ensure_dir(root_, parent_path(path)); !r) return r;
    return write_file_durably(path, data, 0600);
  }

  Result<std::unique_ptr<PendingFile>> create_pending(const std::string& prefix) override {
    const auto slash = prefix.find_last_of('/');
    const std::string dir =
        slash == std::string::npos ? root_ : root_ + "/" + prefix.substr(0, slash);
    if (auto r = ensure_dir(root_, dir); !r) return std::unexpected(r.error());
    auto file = DurableFile::create(dir + "/pending", 0600);
    if (!file) return std::unexpected(file.error());
    return std::make_unique<LocalPendingFile>(std::move(*file), root_);
  }

  Result<std::string> get(const std::string& name) const override {
    return read_file(describe(name));
  }

  Result<std::string> get_range(const std::string& name, uint64_t offset,
                                uint64_t length) const override {
    const std::string path = describe(name);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return errno_error("open", path, errno);
    std::string out(length, '\0');
    size_t used = 0;
    while (used < length) {
      const ssize_t n =
          ::pread(fd.get(), out.data() + used, length - used, static_cast<off_t>(offset + used));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno_error("read", path, errno);
      if (n == 0) return fail("read", path, EIO, "file is shorter than its index says");
      used += static_cast<size_t>(n);
    }
    return out;
  }

  Result<std::vector<StoredFile>> list(const std::string& prefix) const override {
    const auto slash = prefix.find_last_of('/');
    const std::string dir = slash == std::string::npos ? "" : prefix.substr(0, slash);
    std::vector<StoredFile> out;
    auto r = walk_files(root_, dir, [&](const std::string& rel, uint64_t size) -> Result<> {
      if (rel.starts_with(prefix) && !is_temp(rel) && rel != "lock") out.push_back({rel, size});
      return {};
    });
    if (!r) return std::unexpected(r.error());
    return out;
  }

  Result<> remove(const std::string& name) override {
    const std::string path = describe(name);
    if (::unlink(path.c_str()) != 0) {
      if (errno == ENOENT) return {};
      return errno_error("delete", path, errno);
    }
    return fsync_dir(parent_path(path));
  }

  Result<std::unique_ptr<StorageLock>> lock(bool exclusive, bool wait) override {
    const std::string path = root_ + "/lock";
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd.valid()) return errno_error("open lock", path, errno);
    const int operation = (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB);
    while (::flock(fd.get(), operation) != 0) {
      if (errno == EWOULDBLOCK && !wait) {
        return fail("lock", path, EWOULDBLOCK,
                    exclusive ? "a backup is using the repository" : "a prune is running",
                    /*transient=*/true);
      }
      if (errno != EINTR) return errno_error("lock", path, errno);
    }
    return std::make_unique<FlockLock>(std::move(fd));
  }

  Result<std::vector<StoredFile>> list_incomplete() const override {
    std::vector<StoredFile> out;
    auto r = walk_files(root_, "", [&](const std::string& rel, uint64_t size) -> Result<> {
      if (is_temp(rel)) out.push_back({rel, size});
      return {};
    });
    if (!r) return std::unexpected(r.error());
    return out;
  }

  Result<> remove_incomplete(const std::string& name) override {
    // No directory sync: a leftover whose deletion a crash undoes is deleted again next time.
    const std::string path = describe(name);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return errno_error("delete temp file", path, errno);
    }
    return {};
  }

  const std::string& location() const override { return root_; }
  std::string describe(const std::string& name) const override { return root_ + "/" + name; }

 private:
  std::string root_;
};

}  // namespace

std::unique_ptr<Storage> open_local_storage(const std::string& root) {
  return std::make_unique<LocalStorage>(root);
}

}  // namespace nb::repo
