// The systemd side of sd_notify(3) for tests: a datagram socket the daemon is pointed at
// through NOTIFY_SOCKET, collecting every message it sends.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "support/temp_dir.h"
#include "util/file.h"

namespace nb::test {

class NotifySocket {
 public:
  NotifySocket();
  const std::string& path() const { return path_; }

  // Waits (up to a generous limit, failing the test if it never comes) for a message that
  // contains `needle` on a line of its own, after those already consumed; returns it.
  // `alive` is asked while waiting: a daemon that died will never send it.
  std::string wait_for(const std::string& needle, const std::function<bool()>& alive = {});
  // Every message received so far (drains what is pending without waiting).
  const std::vector<std::string>& messages();

 private:
  bool receive(int timeout_ms);

  TempDir dir_;
  std::string path_;
  UniqueFd fd_;
  std::vector<std::string> messages_;
  size_t consumed_ = 0;
};

}  // namespace nb::test
