#include "common/control_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>

namespace nb {

namespace {

// The daemon refuses longer requests; a reply (a diff, the metrics) may be much longer.
constexpr size_t kMaxReplyBytes = 64 << 20;

}  // namespace

Result<ControlClient> ControlClient::connect(const std::string& path) {
  ::sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path)) {
    return fail("connect", path, ENAMETOOLONG, "path too long for a Unix socket");
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return errno_error("socket", path, errno);
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
  if (::connect(fd.get(), reinterpret_cast<::sockaddr*>(&addr), sizeof(addr)) != 0) {
    return errno_error("connect", path, errno);
  }
  return ControlClient(path, std::move(fd));
}

Result<> ControlClient::send(const nlohmann::json& request) {
  const std::string line = request.dump() + "\n";
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::send(fd_.get(), line.data() + done, line.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("send to", path_, errno);
    done += static_cast<size_t>(n);
  }
  return {};
}

Result<nlohmann::json> ControlClient::receive(std::optional<std::chrono::milliseconds> timeout) {
  for (;;) {
    const auto newline = buffered_.find('\n');
    if (newline != std::string::npos) {
      auto reply = nlohmann::json::parse(buffered_.substr(0, newline), nullptr, false);
      buffered_.erase(0, newline + 1);
      if (reply.is_discarded() || !reply.is_object()) {
        return fail("read reply from", path_, 0, "not a JSON object");
      }
      return reply;
    }
    if (buffered_.size() > kMaxReplyBytes) return fail("read reply from", path_, 0, "too long");
    ::pollfd pfd{fd_.get(), POLLIN, 0};
    const int ready = ::poll(&pfd, 1, timeout ? static_cast<int>(timeout->count()) : -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return errno_error("wait for reply from", path_, errno);
    if (ready == 0) return fail("read reply from", path_, ETIMEDOUT, "the daemon did not answer");
    char chunk[65536];
    const ssize_t n = ::read(fd_.get(), chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("read reply from", path_, errno);
    if (n == 0) return fail("read reply from", path_, 0, "the daemon closed the connection");
    buffered_.append(chunk, static_cast<size_t>(n));
  }
}

}  // namespace nb
