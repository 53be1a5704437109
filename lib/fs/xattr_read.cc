#include "fs/xattr_read.h"

#include <sys/xattr.h>

#include <algorithm>
#include <cerrno>

namespace nb::fs {

namespace {

// Both calls are asked for the size first and retried when the attribute grew in between.
ssize_t list_names(int fd, const std::string& path, char* out, size_t size) {
  return fd >= 0 ? ::flistxattr(fd, out, size) : ::llistxattr(path.c_str(), out, size);
}

ssize_t get_value(int fd, const std::string& path, const char* name, void* out, size_t size) {
  return fd >= 0 ? ::fgetxattr(fd, name, out, size) : ::lgetxattr(path.c_str(), name, out, size);
}

bool unsupported(int error) {
  return error == ENOTSUP || error == ENOSYS;
}

}  // namespace

Result<std::vector<Xattr>> read_xattrs(int fd, const std::string& path) {
  std::string names;
  for (;;) {
    const ssize_t size = list_names(fd, path, nullptr, 0);
    if (size < 0) {
      if (unsupported(errno)) return std::vector<Xattr>{};
      return errno_error("list xattrs", path, errno);
    }
    if (size == 0) return std::vector<Xattr>{};
    names.resize(static_cast<size_t>(size));
    const ssize_t got = list_names(fd, path, names.data(), names.size());
    if (got >= 0) {
      names.resize(static_cast<size_t>(got));
      break;
    }
    if (errno != ERANGE) return errno_error("list xattrs", path, errno);
  }
  std::vector<Xattr> out;
  for (size_t start = 0; start < names.size();) {
    const size_t end = names.find('\0', start);
    const std::string name = names.substr(start, end - start);
    start = end == std::string::npos ? names.size() : end + 1;
    if (name.empty()) continue;
    std::string value;
    for (;;) {
      // An attribute removed since the listing (ENODATA), or one this process may list but
      // not read, is left out rather than failing the file.
      const ssize_t size = get_value(fd, path, name.c_str(), nullptr, 0);
      if (size < 0) break;
      value.resize(static_cast<size_t>(size));
      const ssize_t got = get_value(fd, path, name.c_str(), value.data(), value.size());
      if (got >= 0) {
        value.resize(static_cast<size_t>(got));
        out.push_back({name, std::move(value)});
        break;
      }
      if (errno != ERANGE) break;
    }
  }
  std::sort(out.begin(), out.end(), [](const Xattr& a, const Xattr& b) { return a.name < b.name; });
  return out;
}

}  // namespace nb::fs
