#include "nodebackupd/notifier.h"

#include <systemd/sd-daemon.h>

#include <cstring>
#include <ctime>

#include <spdlog/spdlog.h>

namespace nb::daemon {

namespace {

void notify(const std::string& message) {
  // unset_environment=0: a reload re-reads nothing from the environment, but children (ssh
  // has none) would not need it either; keeping it lets every later call find the socket.
  const int rc = ::sd_notify(0, message.c_str());
  if (rc < 0) spdlog::debug("sd_notify failed: {}", std::strerror(-rc));
}

}  // namespace

void Notifier::ready(const std::string& status) {
  last_status_ = status;
  notify("READY=1\nSTATUS=" + status);
}

void Notifier::reloading() {
  struct ::timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  const uint64_t usec = static_cast<uint64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
  notify("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

void Notifier::stopping() {
  notify("STOPPING=1");
}

void Notifier::status(const std::string& line) {
  if (line == last_status_) return;
  last_status_ = line;
  notify("STATUS=" + line);
}

void Notifier::watchdog() {
  notify("WATCHDOG=1");
}

std::optional<std::chrono::microseconds> Notifier::watchdog_period() {
  uint64_t usec = 0;
  if (::sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec / 2);
}

}  // namespace nb::daemon
