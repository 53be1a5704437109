#include "util/file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>

namespace nb {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) reset(other.release());
  return *this;
}

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Result<> write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Result<std::string> read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error("open", path, errno);
  struct ::stat st;
  std::string out;
  size_t used = 0;
  // Sized from fstat so a large file (the hash store) is read without regrowing the buffer.
  out.resize(::fstat(fd.get(), &st) == 0 ? static_cast<size_t>(st.st_size) + 1 : 65536);
  for (;;) {
    if (used == out.size()) out.resize(out.size() * 2);
    const ssize_t n = ::read(fd.get(), out.data() + used, out.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("read", path, errno);
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  out.resize(used);
  return out;
}

std::string temp_suffix() {
  static std::atomic<unsigned long> counter{0};
  return ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
}

Result<> fsync_dir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return errno_error("open directory", dir, errno);
  if (::fsync(fd.get()) != 0) return errno_error("fsync directory", dir, errno);
  return {};
}

Result<std::vector<std::string>> list_directory(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return names;
    return errno_error("list directory", dir, errno);
  }
  while (dirent* e = ::readdir(d)) {
    const std::string_view name = e->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  ::closedir(d);
  return names;
}

Result<> write_file_durably(const std::string& path, std::string_view data, mode_t mode) {
  auto file = DurableFile::create(path, mode);
  if (!file) return std::unexpected(file.error());
  if (auto written = file->write(data); !written) return written;
  return file->commit();
}

Result<DurableFile> DurableFile::create(const std::string& path, mode_t mode) {
  std::string temp = path + temp_suffix();
  UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd.valid()) return errno_error("create", temp, errno);
  return DurableFile(path, std::move(temp), std::move(fd));
}

DurableFile::DurableFile(DurableFile&& other) noexcept
    : path_(std::move(other.path_)),
      temp_(std::exchange(other.temp_, {})),
      fd_(std::move(other.fd_)) {}

DurableFile::~DurableFile() {
  if (!temp_.empty()) ::unlink(temp_.c_str());
}

Result<> DurableFile::write(std::string_view data) {
  return write_all(fd_.get(), data, temp_);
}

Result<> DurableFile::commit() {
  if (::fsync(fd_.get()) != 0) return errno_error("fsync", temp_, errno);
  fd_.reset();
  if (::rename(temp_.c_str(), path_.c_str()) != 0) return errno_error("rename", path_, errno);
  temp_.clear();
  return fsync_dir(parent_path(path_));
}

Result<> DurableFile::commit_as(const std::string& path) {
  path_ = path;
  return commit();
}

std::vector<std::string> text_lines(std::string_view text) {
  std::vector<std::string> lines;
  while (!text.empty()) {
    const size_t end = std::min(text.find('\n'), text.size());
    std::string line(text.substr(0, end));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    text.remove_prefix(std::min(end + 1, text.size()));
  }
  return lines;
}

Result<> make_dirs(const std::string& path, mode_t mode) {
  if (path.empty() || path == "/" || path == ".") return {};
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return {};
    return fail("create directory", path, ENOTDIR);
  }
  if (auto parent = make_dirs(parent_path(path), mode); !parent) return parent;
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    return errno_error("create directory", path, errno);
  }
  return {};
}

std::string parent_path(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace nb
