#include "repo/restore.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>

#include "repo/browse.h"
#include "repo/file_content.h"
#include "util/file.h"

namespace nb::repo {

namespace {

timespec to_timespec(int64_t ns) {
  return {static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
}

// Removes `name` in `dirfd` whatever it is, descending into directories without following
// symlinks.
void remove_tree_at(int dirfd, const std::string& name) {
  if (::unlinkat(dirfd, name.c_str(), 0) == 0 || (errno != EISDIR && errno != EPERM)) return;
  UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return;
  if (DIR* dir = ::fdopendir(::dup(fd.get()))) {
    std::vector<std::string> names;
    while (dirent* e = ::readdir(dir)) {
      const std::string_view n = e->d_name;
      if (n != "." && n != "..") names.emplace_back(n);
    }
    ::closedir(dir);
    for (const auto& n : names) remove_tree_at(fd.get(), n);
  }
  ::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR);
}

class Restorer {
 public:
  Restorer(const Repository& repo, const RestoreOptions& options, RestoreReport& report)
      : repo_(repo), options_(options), report_(report) {}

  // Opens (creating, or replacing a non-directory) directory `name` in `dirfd`.
  Result<UniqueFd> open_dir(int dirfd, const std::string& name, const std::string& shown) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (fd.valid()) return fd;
      if (errno == ENOTDIR || errno == ELOOP) {
        remove_tree_at(dirfd, name);
      } else if (errno != ENOENT) {
        return errno_error("open directory", shown, errno);
      }
      if (::mkdirat(dirfd, name.c_str(), 0700) != 0 && errno != EEXIST) {
        return errno_error("create directory", shown, errno);
      }
    }
    return fail("open directory", shown, 0, "replaced while restoring");
  }

  Result<> children(int dirfd, const TreeEntry& dir, const std::string& shown) {
    auto tree = load_tree(repo_, *dir.tree);
    if (!tree) return std::unexpected(tree.error());
    for (const auto& child : tree->entries) {
      entry(dirfd, child, shown == "/" ? "/" + child.name : shown + "/" + child.name);
    }
    return {};
  }

  void entry(int dirfd, const TreeEntry& e, const std::string& shown) {
    if (!safe_name(e.name)) {
      report_.errors.push_back(Error("restore", shown, 0, "unsafe entry name refused"));
      return;
    }
    Result<> r;
    switch (e.type) {
      case FileType::regular:
        r = file(dirfd, e, shown);
        break;
      case FileType::symlink:
        r = symlink(dirfd, e, shown);
        break;
      case FileType::directory:
        r = directory(dirfd, e, shown);
        break;
      case FileType::fifo:
      case FileType::char_device:
      case FileType::block_device:
        r = special(dirfd, e, shown);
        break;
      default:
        r = fail("restore", shown, 0, "unsupported entry type");
    }
    if (!r) report_.errors.push_back(r.error());
  }

 private:
  // Writes under a temporary name and renames over whatever is there: a symlink planted in
  // the target is replaced, not written through.
  Result<> place(int dirfd, const std::string& temp, const TreeEntry& e, const std::string& shown) {
    if (::renameat(dirfd, temp.c_str(), dirfd, e.name.c_str()) == 0) return {};
    if (errno == EISDIR || errno == ENOTEMPTY || errno == EEXIST) {
      remove_tree_at(dirfd, e.name);
      if (::renameat(dirfd, temp.c_str(), dirfd, e.name.c_str()) == 0) return {};
    }
    const int err = errno;
    ::unlinkat(dirfd, temp.c_str(), 0);
    return errno_error("rename into place", shown, err);
  }

  // Every chunk is checked against its id as it is read, and the whole file against its
  // size and XXH3 (file_content.h): a corrupt or missing chunk is refused, never restored
  // silently.
  Result<> copy_content(const TreeEntry& e, int out, const std::string& shown) {
    auto written = read_file_content(repo_, e, shown, [&](std::string_view chunk) -> Result<> {
      report_.bytes += chunk.size();
      // A sparse file's zero chunks become holes again: skipped over, not written.
      if (e.sparse && all_zero(chunk)) {
        if (::lseek(out, static_cast<off_t>(chunk.size()), SEEK_CUR) < 0) {
          return errno_error("seek", shown, errno);
        }
        return {};
      }
      return write_all(out, chunk, shown);
    });
    if (!written) {
      const Error& error = written.error();
      // The reader's refusals are the restore's; a write error keeps its own operation.
      if (error.op() == "read") return fail("restore", shown, error.code(), error.detail());
      return std::unexpected(error);
    }
    // A hole at the end is a size, not a write.
    if (e.sparse && ::ftruncate(out, static_cast<off_t>(e.size)) != 0) {
      return errno_error("truncate", shown, errno);
    }
    return {};
  }

  Result<> file(int dirfd, const TreeEntry& e, const std::string& shown) {
    const std::string temp = ".nbrestore" + temp_suffix();
    if (e.links > 1) {
      if (auto linked = link_to_earlier(dirfd, temp, e, shown)) {
        if (!*linked) return std::unexpected(linked->error());
        ++report_.hardlinks;
        return place(dirfd, temp, e, shown);
      }
    }
    UniqueFd out(
        ::openat(dirfd, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out.valid()) return errno_error("create", shown, errno);
    auto r = copy_content(e, out.get(), shown);
    if (r) r = apply_meta(out.get(), e, shown);
    if (!r) {
      ::unlinkat(dirfd, temp.c_str(), 0);
      return r;
    }
    ++report_.files;
    if (e.links > 1) remember_link(out.get(), e);
    out.reset();
    return place(dirfd, temp, e, shown);
  }

  // The inode a hard-link group's first restored path got, kept open (O_PATH) until every
  // recorded link of it is restored, so later paths are linked to it, not copied. Linking
  // through /proc/self/fd needs no privilege (AT_EMPTY_PATH would).
  struct LinkGroup {
    UniqueFd fd;
    uint32_t remaining = 0;
    uint64_t size = 0;
    Hash xxh3;
  };
  static constexpr size_t kMaxOpenLinkGroups = 512;

  void remember_link(int fd, const TreeEntry& e) {
    if (groups_.size() >= kMaxOpenLinkGroups) return;  // later paths become copies
    UniqueFd path_fd(::open(("/proc/self/fd/" + std::to_string(fd)).c_str(), O_PATH | O_CLOEXEC));
    if (!path_fd.valid()) return;
    groups_[{e.dev, e.inode}] = LinkGroup{std::move(path_fd), e.links - 1, e.size, *e.xxh3};
  }

  // nullopt: no earlier path of this inode was restored (the caller writes the content).
  std::optional<Result<>> link_to_earlier(int dirfd, const std::string& temp, const TreeEntry& e,
                                          const std::string& shown) {
    const auto it = groups_.find({e.dev, e.inode});
    // A listing is not trusted to name the same inode for different content: such a path is
    // written from its own chunks.
    if (it == groups_.end() || it->second.size != e.size || !e.xxh3 || it->second.xxh3 != *e.xxh3) {
      return std::nullopt;
    }
    const std::string from = "/proc/self/fd/" + std::to_string(it->second.fd.get());
    if (::linkat(AT_FDCWD, from.c_str(), dirfd, temp.c_str(), AT_SYMLINK_FOLLOW) != 0) {
      return std::nullopt;  // another filesystem, or /proc missing: a copy then
    }
    if (--it->second.remaining == 0) groups_.erase(it);
    (void)shown;
    return Result<>{};
  }

  Result<> symlink(int dirfd, const TreeEntry& e, const std::string& shown) {
    const std::string temp = ".nbrestore" + temp_suffix();
    if (::symlinkat(e.target.c_str(), dirfd, temp.c_str()) != 0) {
      return errno_error("create symlink", shown, errno);
    }
    if (options_.ownership &&
        ::fchownat(dirfd, temp.c_str(), e.uid, e.gid, AT_SYMLINK_NOFOLLOW) != 0) {
      const int error = errno;
      ::unlinkat(dirfd, temp.c_str(), 0);
      return errno_error("chown", shown, error);
    }
    const timespec times[2] = {to_timespec(e.mtime_ns), to_timespec(e.mtime_ns)};
    if (!e.xattrs.empty()) {
      apply_xattrs(-1, "/proc/self/fd/" + std::to_string(dirfd) + "/" + temp, e, shown);
    }
    ::utimensat(dirfd, temp.c_str(), times, AT_SYMLINK_NOFOLLOW);
    ++report_.symlinks;
    return place(dirfd, temp, e, shown);
  }

  // A fifo or a device node: created under a temporary name, given its owner, mode,
  // attributes and mtime through its path (opening it could block, or touch a device), and
  // renamed into place.
  Result<> special(int dirfd, const TreeEntry& e, const std::string& shown) {
    const std::string temp = ".nbrestore" + temp_suffix();
    const mode_t kind = e.type == FileType::fifo          ? S_IFIFO
                        : e.type == FileType::char_device ? S_IFCHR
                                                          : S_IFBLK;
    if (::mknodat(dirfd, temp.c_str(), kind | 0600, static_cast<dev_t>(e.rdev)) != 0) {
      return errno_error(e.type == FileType::fifo ? "create fifo" : "create device node", shown,
                         errno);
    }
    auto r = apply_meta_at(dirfd, temp, e, shown);
    if (!r) {
      ::unlinkat(dirfd, temp.c_str(), 0);
      return r;
    }
    ++report_.specials;
    return place(dirfd, temp, e, shown);
  }

  Result<> apply_meta_at(int dirfd, const std::string& name, const TreeEntry& e,
                         const std::string& shown) {
    if (options_.ownership &&
        ::fchownat(dirfd, name.c_str(), e.uid, e.gid, AT_SYMLINK_NOFOLLOW) != 0) {
      return errno_error("chown", shown, errno);
    }
    if (::fchmodat(dirfd, name.c_str(), e.mode, 0) != 0) return errno_error("chmod", shown, errno);
    apply_xattrs(-1, "/proc/self/fd/" + std::to_string(dirfd) + "/" + name, e, shown);
    const timespec times[2] = {to_timespec(e.mtime_ns), to_timespec(e.mtime_ns)};
    if (::utimensat(dirfd, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
      return errno_error("set mtime", shown, errno);
    }
    return {};
  }

  // Sets the recorded attributes and removes any others (a default ACL of the directory
  // above is inherited by a new file). One that cannot be set (a capability without root) is
  // reported; the entry is restored without it.
  void apply_xattrs(int fd, const std::string& path, const TreeEntry& e, const std::string& shown) {
    // Most files have none: asked for the size first, so a restore of 100,000 files does not
    // clear a 64 KiB buffer for each.
    const auto list = [&](char* out, size_t size) {
      return fd >= 0 ? ::flistxattr(fd, out, size) : ::llistxattr(path.c_str(), out, size);
    };
    const ssize_t wanted = list(nullptr, 0);
    std::string names(wanted > 0 ? static_cast<size_t>(wanted) : 0, '\0');
    const ssize_t n = wanted > 0 ? list(names.data(), names.size()) : 0;
    for (size_t start = 0; n > 0 && start < static_cast<size_t>(n);) {
      const std::string name(names.c_str() + start);
      start += name.size() + 1;
      const bool recorded = std::any_of(e.xattrs.begin(), e.xattrs.end(),
                                        [&](const TreeXattr& x) { return x.name == name; });
      if (recorded) continue;
      if (fd >= 0) {
        ::fremovexattr(fd, name.c_str());
      } else {
        ::lremovexattr(path.c_str(), name.c_str());
      }
    }
    for (const auto& x : e.xattrs) {
      const int r =
          fd >= 0 ? ::fsetxattr(fd, x.name.c_str(), x.value.data(), x.value.size(), 0)
                  : ::lsetxattr(path.c_str(), x.name.c_str(), x.value.data(), x.value.size(), 0);
      if (r != 0) {
        report_.errors.push_back(
            Error("set xattr " + x.name.substr(0, 255), shown, errno,
                  std::string(std::strerror(errno)) + "; the entry is restored without it"));
      }
    }
  }

  Result<> directory(int dirfd, const TreeEntry& e, const std::string& shown) {
    auto fd = open_dir(dirfd, e.name, shown);
    if (!fd) return std::unexpected(fd.error());
    if (auto r = children(fd->get(), e, shown); !r) return r;
    ++report_.directories;
    // Last, so restoring the children does not bump the directory's mtime afterwards.
    return apply_meta(fd->get(), e, shown);
  }

  Result<> apply_meta(int fd, const TreeEntry& e, const std::string& shown) {
    if (options_.ownership && ::fchown(fd, e.uid, e.gid) != 0) {
      return errno_error("chown", shown, errno);
    }
    if (::fchmod(fd, e.mode) != 0) return errno_error("chmod", shown, errno);
    // After chown (which clears a file capability) and chmod (an ACL sets the group bits
    // itself, consistently with the recorded mode).
    apply_xattrs(fd, {}, e, shown);
    const timespec times[2] = {to_timespec(e.mtime_ns), to_timespec(e.mtime_ns)};
    if (::futimens(fd, times) != 0) return errno_error("set mtime", shown, errno);
    return {};
  }

  const Repository& repo_;
  const RestoreOptions& options_;
  RestoreReport& report_;
  std::map<std::pair<uint64_t, uint64_t>, LinkGroup> groups_;  // by (dev, inode)
};

}  // namespace

Result<RestoreReport> restore(const Repository& repo, const SnapshotRecord& record,
                              const std::vector<std::string>& paths, const std::string& target,
                              const RestoreOptions& options) {
  if (auto r = make_dirs(target, 0700); !r) return std::unexpected(r.error());
  UniqueFd top(::open(target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!top.valid()) return errno_error("open target", target, errno);
  std::vector<std::string> wanted = paths;
  if (wanted.empty()) {
    for (const auto& root : record.roots) wanted.push_back(root.path);
  }
  RestoreReport report;
  Restorer restorer(repo, options, report);
  for (const auto& path : wanted) {
    auto parts = path_components(path);
    auto entry = parts ? find_entry(repo, record, path) : std::unexpected(parts.error());
    if (!entry) {
      report.errors.push_back(entry.error());
      continue;
    }
    if (parts->empty()) {  // the node's "/" itself: its children go straight into the target
      if (auto r = restorer.children(top.get(), *entry, "/"); !r)
        report.errors.push_back(r.error());
      continue;
    }
    // Directories above the entry that the snapshot does not describe are created private.
    UniqueFd dir(::dup(top.get()));
    bool ok = true;
    for (size_t i = 0; ok && i + 1 < parts->size(); ++i) {
      auto next = restorer.open_dir(dir.get(), (*parts)[i], path);
      if (!next) {
        report.errors.push_back(next.error());
        ok = false;
      } else {
        dir = std::move(*next);
      }
    }
    if (!ok) continue;
    entry->name = parts->back();
    restorer.entry(dir.get(), *entry, path);
  }
  return report;
}

}  // namespace nb::repo
