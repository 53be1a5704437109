#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>

#include "config/config.h"

namespace nb::config {
namespace {

// A config is a few kilobytes; the cap stops a mistaken path such as /dev/zero from eating memory.
constexpr std::size_t kMaxConfigBytes = 16 << 20;

Result<std::string> read_all(int fd, const std::string& path) {
  std::string text;
  char buffer[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("read config", path, errno);
    if (n == 0) return text;
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > kMaxConfigBytes) return fail("read config", path, 0, "larger than 16 MiB");
  }
}

}  // namespace

Result<Config> load_config(const std::string& path) {
  const auto loaded = [&]() -> Result<Config> {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno_error("read config", path, errno);
    const auto text = read_all(fd, path);
    ::close(fd);
    if (!text) return std::unexpected(text.error());
    return parse_config(*text, path);
  };
  auto config = loaded();
  if (!config) return std::unexpected(Error(config.error()).with_kind(ErrorKind::config));
  return config;
}

}  // namespace nb::config
