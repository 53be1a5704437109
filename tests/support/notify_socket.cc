#include "support/notify_socket.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <chrono>
#include <stdexcept>

namespace nb::test {

namespace {

constexpr auto kPatience = std::chrono::seconds(120);

bool has_line(const std::string& message, const std::string& needle) {
  size_t start = 0;
  while (start <= message.size()) {
    const size_t end = std::min(message.find('\n', start), message.size());
    if (message.substr(start, end - start).starts_with(needle)) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

NotifySocket::NotifySocket() : path_(dir_ / "notify.sock") {
  fd_ = UniqueFd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ::sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  path_.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
  if (::bind(fd_.get(), reinterpret_cast<::sockaddr*>(&addr), sizeof(addr)) != 0) {
    throw std::runtime_error("bind " + path_);
  }
}

bool NotifySocket::receive(int timeout_ms) {
  ::pollfd pfd{fd_.get(), POLLIN, 0};
  if (::poll(&pfd, 1, timeout_ms) <= 0) return false;
  char buf[4096];
  const ssize_t n = ::recv(fd_.get(), buf, sizeof(buf), 0);
  if (n <= 0) return false;
  messages_.emplace_back(buf, static_cast<size_t>(n));
  return true;
}

std::string NotifySocket::wait_for(const std::string& needle, const std::function<bool()>& alive) {
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  for (;;) {
    for (; consumed_ < messages_.size(); ++consumed_) {
      if (has_line(messages_[consumed_], needle)) return messages_[consumed_++];
    }
    if (std::chrono::steady_clock::now() > deadline || (alive && !alive())) {
      throw std::runtime_error("no sd_notify message with " + needle);
    }
    receive(1000);
  }
}

const std::vector<std::string>& NotifySocket::messages() {
  while (receive(0)) {
  }
  return messages_;
}

}  // namespace nb::test
