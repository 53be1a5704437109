#include "util/error.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace nb {

std::string Error::message() const {
  std::string out = op_;
  if (!path_.empty()) out += " " + path_;
  if (code_ != 0) out += std::string(": ") + std::strerror(code_);
  if (!detail_.empty()) out += ": " + detail_;
  return out;
}

std::unexpected<Error> errno_error(std::string op, std::string path, int code) {
  // Conditions that can clear up by themselves; everything else will fail again the same way.
  const bool transient = code == EINTR || code == EAGAIN || code == EBUSY || code == ETIMEDOUT ||
                         code == ECONNRESET || code == ENOMEM || code == EIO;
  return fail(std::move(op), std::move(path), code, {}, transient);
}

std::string format_bytes(unsigned long long bytes) {
  static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", value, units[unit]);
  return buf;
}

}  // namespace nb
