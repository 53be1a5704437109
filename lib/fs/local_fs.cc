#include "fs/local_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "fs/xattr_read.h"
#include "util/clock.h"
#include "util/file.h"

namespace nb::fs {

FileMeta meta_from_stat(const struct ::stat& st) {
  FileMeta m;
  switch (st.st_mode & S_IFMT) {
    case S_IFREG:
      m.type = FileType::regular;
      break;
    case S_IFDIR:
      m.type = FileType::directory;
      break;
    case S_IFLNK:
      m.type = FileType::symlink;
      break;
    case S_IFIFO:
      m.type = FileType::fifo;
      break;
    case S_IFSOCK:
      m.type = FileType::socket;
      break;
    case S_IFCHR:
      m.type = FileType::char_device;
      break;
    case S_IFBLK:
      m.type = FileType::block_device;
      break;
    default:
      m.type = FileType::unknown;
  }
  m.mode = st.st_mode & 07777;
  m.uid = st.st_uid;
  m.gid = st.st_gid;
  m.size = static_cast<uint64_t>(st.st_size);
  m.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
  m.ctime_ns = int64_t{st.st_ctim.tv_sec} * 1'000'000'000 + st.st_ctim.tv_nsec;
  m.inode = st.st_ino;
  m.nlink = static_cast<uint32_t>(st.st_nlink);
  m.dev = st.st_dev;
  // tar's test: fewer 512-byte blocks than the size needs means holes.
  m.sparse = m.type == FileType::regular && uint64_t(st.st_blocks) * 512 < m.size;
  return m;
}

namespace {

std::string join(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

// lstat relative to an open directory, plus the link target for symlinks.
Result<FileMeta> stat_at(int dirfd, const std::string& name, const std::string& path) {
  struct ::stat st;
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return errno_error("stat", path, errno);
  }
  FileMeta meta = meta_from_stat(st);
  if (meta.type == FileType::symlink) {
    std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
    const ssize_t n = ::readlinkat(dirfd, name.c_str(), target.data(), target.size());
    if (n < 0) return errno_error("readlink", path, errno);
    target.resize(static_cast<size_t>(n));
    meta.link_target = std::move(target);
  }
  return meta;
}

// Names in a directory, sorted so that walks (and so snapshot listings) are deterministic.
Result<std::vector<std::string>> list_names(int dirfd, const std::string& path) {
  const int dup = ::dup(dirfd);
  if (dup < 0) return errno_error("open directory", path, errno);
  DIR* dir = ::fdopendir(dup);
  if (dir == nullptr) {
    ::close(dup);
    return errno_error("open directory", path, errno);
  }
  std::vector<std::string> names;
  errno = 0;
  while (dirent* d = ::readdir(dir)) {
    const std::string_view name = d->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
    errno = 0;
  }
  const int err = errno;
  ::closedir(dir);
  if (err != 0) return errno_error("list directory", path, err);
  std::sort(names.begin(), names.end());
  return names;
}

class LocalFs final : public NodeFs {
 public:
  Capabilities capabilities() const override {
    // The kernel stamps files from a coarse clock (one jiffy, up to 10 ms), whatever the
    // filesystem stores; that tick is what two writes can hide in.
    return Capabilities{.ctime = true,
                        .inode = true,
                        .hardlinks = true,
                        .xattrs = true,
                        .sparse = true,
                        .specials = true,
                        .mtime_resolution_ns = 10'000'000};
  }

  std::string describe() const override { return "local"; }
  Result<CommandOutcome> run_command(const std::string& command,
                                     const std::vector<std::string>& env,
                                     std::chrono::seconds timeout) override {
    return nb::run_command({"/bin/sh", "-c", command}, env, {}, timeout);
  }
  Result<CommandOutcome> stream_command(const std::string& command, std::chrono::seconds timeout,
                                        const OutputSink& out,
                                        const std::function<bool()>& cancelled) override {
    return nb::stream_command({"/bin/sh", "-c", command}, timeout, out, cancelled);
  }

  Result<FileMeta> stat(const std::string& path) override { return stat_at(AT_FDCWD, path, path); }

  Result<> walk(const std::string& root, WalkVisitor& visitor) override {
    auto meta = stat(root);
    if (!meta) return std::unexpected(meta.error());
    if (!visitor.entry(root, *meta) || meta->type != FileType::directory) return {};
    UniqueFd fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) return errno_error("open directory", root, errno);
    walk_dir(fd.get(), root, visitor);
    return {};
  }

  Result<> read_extras(const std::vector<std::string>& paths, const ExtrasDone& done) override {
    for (const auto& path : paths) {
      struct ::stat st;
      if (::lstat(path.c_str(), &st) != 0) {
        done(path, errno_error("stat", path, errno));
        continue;
      }
      auto xattrs = read_xattrs(-1, path);
      if (!xattrs) {
        done(path, std::unexpected(xattrs.error()));
        continue;
      }
      const bool device = S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode);
      done(path, Extras{std::move(*xattrs), device ? uint64_t{st.st_rdev} : 0});
    }
    return {};
  }

  Result<> read_files(const std::vector<std::string>& paths, ReadSink& sink) override {
    std::vector<char> buffer(kChunk);
    for (const auto& path : paths) {
      if (auto r = read_one(path, buffer, sink); !r) return r;
    }
    return {};
  }

 private:
  static constexpr size_t kChunk = 256 * 1024;

  void walk_dir(int dirfd, const std::string& dir, WalkVisitor& visitor) {
    auto names = list_names(dirfd, dir);
    if (!names) return visitor.error(names.error());
    for (const auto& name : *names) {
      const std::string path = join(dir, name);
      auto meta = stat_at(dirfd, name, path);
      if (!meta) {
        visitor.error(meta.error());
        continue;
      }
      if (!visitor.entry(path, *meta) || meta->type != FileType::directory) continue;
      UniqueFd sub(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub.valid()) {
        visitor.error(errno_error("open directory", path, errno).error());
        continue;
      }
      walk_dir(sub.get(), path, visitor);
    }
  }

  // Opens without following links and without blocking (a file swapped for a fifo after the
  // walk must not hang the job), and without updating atime where the kernel allows it.
  static int open_for_read(const std::string& path) {
    const int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
    int fd = ::open(path.c_str(), flags | O_NOATIME);
    if (fd < 0 && errno == EPERM) fd = ::open(path.c_str(), flags);
    return fd;
  }

  Result<> read_one(const std::string& path, std::vector<char>& buffer, ReadSink& sink) {
    UniqueFd fd(open_for_read(path));
    struct ::stat st;
    if (!fd.valid()) {
      sink.end(path, errno_error("open", path, errno));
      return {};
    }
    if (::fstat(fd.get(), &st) != 0) {
      sink.end(path, errno_error("stat", path, errno));
      return {};
    }
    if (!S_ISREG(st.st_mode)) {
      sink.end(path, fail("open", path, 0, "no longer a regular file"));
      return {};
    }
    ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
    const FileMeta opened = meta_from_stat(st);
    sink.begin(path, opened);
    auto copied = opened.sparse ? copy_sparse(fd.get(), path, buffer, sink)
                                : copy_range(fd.get(), path, buffer, sink, UINT64_MAX);
    if (!copied) {
      sink.end(path, std::unexpected(copied.error()));
      return {};
    }
    if (!*copied) return std::unexpected(copied->error());
    auto xattrs = read_xattrs(fd.get(), path);
    if (!xattrs) {
      sink.end(path, std::unexpected(xattrs.error()));
      return {};
    }
    if (::fstat(fd.get(), &st) != 0) {
      sink.end(path, errno_error("stat", path, errno));
      return {};
    }
    sink.end(path, ReadDone{meta_from_stat(st), now_ns(), std::move(*xattrs)});
    return {};
  }

  // Reads up to `limit` bytes from the file position. The outer Result is the file's (a read
  // error), the inner one the sink's, which aborts the whole read_files().
  static Result<Result<>> copy_range(int fd, const std::string& path, std::vector<char>& buffer,
                                     ReadSink& sink, uint64_t limit) {
    while (limit > 0) {
      const ssize_t n = ::read(fd, buffer.data(), std::min<uint64_t>(buffer.size(), limit));
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno_error("read", path, errno);
      }
      if (n == 0) break;
      limit -= static_cast<uint64_t>(n);
      if (auto r = sink.data({buffer.data(), static_cast<size_t>(n)}); !r) return r;
    }
    return Result<>{};
  }

  // A file with holes: the data extents are read, the holes given to the sink as zeros without
  // reading them (a 1 GiB image holding 1 MiB costs 1 MiB of I/O).
  static Result<Result<>> copy_sparse(int fd, const std::string& path, std::vector<char>& buffer,
                                      ReadSink& sink) {
    static const std::vector<char> zeros(kChunk, 0);
    struct ::stat st;
    if (::fstat(fd, &st) != 0) return errno_error("stat", path, errno);
    const off_t size = st.st_size;
    off_t pos = 0;
    while (pos < size) {
      off_t data = ::lseek(fd, pos, SEEK_DATA);
      if (data < 0) {
        if (errno != ENXIO) {  // no SEEK_DATA here: read it all
          if (::lseek(fd, pos, SEEK_SET) < 0) return errno_error("seek", path, errno);
          return copy_range(fd, path, buffer, sink, UINT64_MAX);
        }
        data = size;  // a hole up to the end
      }
      for (off_t z = pos; z < std::min(data, size);) {
        const size_t n = static_cast<size_t>(std::min<off_t>(kChunk, std::min(data, size) - z));
        if (auto r = sink.data({zeros.data(), n}); !r) return r;
        z += static_cast<off_t>(n);
      }
      if (data >= size) break;
      off_t hole = ::lseek(fd, data, SEEK_HOLE);
      if (hole < 0) return errno_error("seek", path, errno);
      if (::lseek(fd, data, SEEK_SET) < 0) return errno_error("seek", path, errno);
      auto r = copy_range(fd, path, buffer, sink, static_cast<uint64_t>(hole - data));
      if (!r || !*r) return r;
      pos = hole;
    }
    // What the file holds beyond the size it had when opened (it grew) is read as usual, so
    // the re-stat sees the change.
    if (::lseek(fd, size, SEEK_SET) < 0) return errno_error("seek", path, errno);
    return copy_range(fd, path, buffer, sink, UINT64_MAX);
  }
};

}  // namespace

std::unique_ptr<NodeFs> make_local_fs() {
  return std::make_unique<LocalFs>();
}

}  // namespace nb::fs
