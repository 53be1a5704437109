// SIGHUP and the `reload` command: the new config is read off the event loop, validated, and
// applied only whole; a bad one is refused and the running one stays.
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "nodebackupd/daemon.h"
#include "util/clock.h"

namespace nb::daemon {

namespace asio = boost::asio;

namespace {

// Settings the running process cannot take over without a restart: they keep their value.
void keep_restart_only(const config::Config& running, config::Config& loaded) {
  auto keep = [](const char* name, auto& now, const auto& before) {
    if (now == before) return;
    spdlog::warn("reload: {} changed; that takes effect at the next restart", name);
    now = before;
  };
  keep("repository", loaded.repository, running.repository);
  keep("state_dir", loaded.state_dir, running.state_dir);
  keep("control_socket", loaded.control_socket, running.control_socket);
  keep("max_concurrent_jobs", loaded.max_concurrent_jobs, running.max_concurrent_jobs);
  keep("http", loaded.http, running.http);
}

std::string node_list(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out.empty() ? "none" : out;
}

}  // namespace

void Daemon::reload(std::function<void(Result<>)> done) {
  if (stopping_) {
    done(fail("reload", config_.source, 0, "the daemon is stopping"));
    return;
  }
  reload_waiters_.push_back(std::move(done));
  if (reloading_) return;  // the reload in progress answers every waiter
  reloading_ = true;
  notifier_.reloading();
  asio::post(aux_, [this, path = config_.source] {
    auto loaded = config::load_config(path);
    LatestRuns latest;
    if (loaded) latest = latest_snapshots(*repo_);
    asio::post(io_, [this, loaded = std::move(loaded), latest = std::move(latest)]() mutable {
      finish_reload(std::move(loaded), std::move(latest));
    });
  });
}

void Daemon::finish_reload(Result<config::Config> loaded, LatestRuns latest) {
  reloading_ = false;
  Result<> outcome;
  if (!loaded) {
    spdlog::error("reload refused, the running configuration stays: {}", loaded.error().message());
    outcome = std::unexpected(loaded.error());
  } else if (!stopping_) {
    keep_restart_only(config_, *loaded);
    std::vector<std::string> added, removed;
    for (const auto& node : loaded->nodes) {
      if (config_.find_node(node.id) == nullptr) added.push_back(node.id);
    }
    for (const auto& node : config_.nodes) {
      if (loaded->find_node(node.id) == nullptr) removed.push_back(node.id);
    }
    config_ = std::move(*loaded);
    alerts_.apply(config_);
    scheduler_->apply(config_, latest);
    copies_->apply(config_);
    for (const auto& id : added) {
      auto& slot = *scheduler_->nodes().at(id);
      slot.health.check_store(store_.untrusted(id, kAlarmExamples), now_ns());
      check_stale(slot);
      reporter_.alarms(slot);
      alerts_.check_alarms(slot);
    }
    if (!config_.repository_space) repository_alarms_.clear();
    alerts_.check_repository_alarms(repository_alarms_);
    watch_timer_.cancel();
    arm_watch();
    spdlog::info("reloaded {}: {} nodes; added: {}; removed: {}; {} copies", config_.source,
                 config_.nodes.size(), node_list(added), node_list(removed), config_.copies.size());
  }
  if (!stopping_) notifier_.ready(status_line(facts(), *scheduler_));
  auto waiters = std::move(reload_waiters_);
  reload_waiters_.clear();
  for (auto& waiter : waiters) waiter(outcome);
}

}  // namespace nb::daemon
