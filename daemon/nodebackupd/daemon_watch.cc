// What the daemon watches between runs: each node's stale alarm, the repository's free space,
// and the standing alarms due to be sent again. Nothing here blocks the event loop: statvfs
// runs on the auxiliary pool.
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "nodebackupd/daemon.h"
#include "util/clock.h"

namespace nb::daemon {

namespace asio = boost::asio;

void Daemon::check_stale(NodeSlot& slot) {
  slot.health.check_stale(slot.last_success_ns, slot.watching_since_ns, slot.config.stale_limit(),
                          now_ns());
}

// Often enough that an alarm is raised within a quarter of its limit, at most once a second
// (tests set limits of seconds) and at least once a minute.
void Daemon::arm_watch() {
  std::chrono::seconds period{60};
  for (const auto& node : config_.nodes) {
    period = std::min(
        period, std::max<std::chrono::seconds>(std::chrono::seconds(1), node.stale_limit() / 4));
  }
  if (config_.repository_space) period = std::min(period, config_.repository_space->check_interval);
  watch_timer_.expires_after(period);
  watch_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    watch();
    arm_watch();
  });
}

void Daemon::watch() {
  for (const auto& [id, slot] : scheduler_->nodes()) {
    check_stale(*slot);
    alerts_.check_alarms(*slot);
  }
  if (config_.repository_space) {
    const int64_t due = last_space_check_ns_ +
                        std::chrono::nanoseconds(config_.repository_space->check_interval).count();
    if (now_ns() >= due) check_space();
  }
  alerts_.renotify();
}

// statvfs may block (a hung NFS mount): measured on the auxiliary pool.
void Daemon::check_space() {
  if (space_checking_) return;
  space_checking_ = true;
  asio::post(aux_, [this, path = config_.repository] {
    auto sample = measure_space(path);
    asio::post(io_, [this, sample = std::move(sample)] {
      space_checking_ = false;
      last_space_check_ns_ = now_ns();
      if (!sample) {
        spdlog::warn("repository_space: {}", sample.error().message());
        return;
      }
      if (!config_.repository_space || stopping_) return;
      repository_alarms_.clear();
      if (auto alarm = space_.check(*config_.repository_space, *sample, now_ns())) {
        repository_alarms_.emplace(kRepositorySpace, std::move(*alarm));
      }
      alerts_.check_repository_alarms(repository_alarms_);
    });
  });
}

}  // namespace nb::daemon
