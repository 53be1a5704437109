#include "nodebackupd/state_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

namespace nb {

Result<UniqueFd> lock_state_dir(const std::string& state_dir) {
  if (auto r = make_dirs(state_dir, 0700); !r) return std::unexpected(r.error());
  const std::string path = state_dir + "/lock";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd.valid()) return errno_error("open lock", path, errno);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) return errno_error("lock", path, errno);
    auto holder = read_file(path);
    std::string pid = holder && !holder->empty() ? holder->substr(0, holder->find('\n')) : "?";
    return fail("lock", path, 0,
                "another nodebackup process (pid " + pid +
                    ") is backing up from this state_dir; while the daemon runs, use "
                    "`nodebackupctl run NODE`");
  }
  // The pid is only for that message; the lock itself is the flock, so a failed write is
  // harmless. (A (void) cast does not silence warn_unused_result, which _FORTIFY_SOURCE sets.)
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) == 0) {
    [[maybe_unused]] const ssize_t written = ::pwrite(fd.get(), pid.data(), pid.size(), 0);
  }
  return fd;
}

}  // namespace nb
