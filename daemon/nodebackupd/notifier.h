// systemd notification (sd_notify(3)): READY, RELOADING, STOPPING, STATUS and the watchdog.
// Outside systemd (no NOTIFY_SOCKET) every call is a cheap no-op.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace nb::daemon {

class Notifier {
 public:
  void ready(const std::string& status);
  // RELOADING=1 with MONOTONIC_USEC, as systemd's Type=notify-reload expects; ready() ends it.
  void reloading();
  void stopping();
  // Sent only when it differs from the last one, so an idle daemon sends nothing.
  void status(const std::string& line);
  void watchdog();
  // Half of WATCHDOG_USEC when the unit asks for a watchdog (and it is meant for this process).
  static std::optional<std::chrono::microseconds> watchdog_period();

 private:
  std::string last_status_;
};

}  // namespace nb::daemon
