#include "nodebackupd/daemon.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <csignal>
#include <cstdlib>

#include "common/exit_codes.h"
#include "common/repository_config.h"
#include "common/retention_config.h"
#include "nodebackupd/job_runner.h"
#include "nodebackupd/state_lock.h"
#include "repo/prune.h"
#include "util/clock.h"

namespace nb::daemon {

namespace asio = boost::asio;

namespace {

// Running jobs get this long to reach a checkpoint after SIGTERM; systemd's default stop
// timeout is 90 s, and the store snapshot must be on disk before it strikes.
constexpr std::chrono::seconds kStopDeadline{60};
constexpr std::chrono::seconds kNotifyDrain{5};

}  // namespace

LatestRuns latest_snapshots(const repo::Repository& repo) {
  LatestRuns latest;
  auto records = repo.snapshots();
  if (!records) {
    spdlog::warn("{}; every node is treated as never backed up", records.error().message());
    return latest;
  }
  for (const auto& record : *records) {
    if (record.partial) continue;
    auto& run = latest[record.node];
    if (run.finished_ns > record.finished_ns) continue;
    run = RunRecord{};
    run.started_ns = record.started_ns;
    run.finished_ns = record.finished_ns;
    run.ok = true;
    run.counts = record.counts;
    run.snapshot_id = record.id;
    run.from_snapshot = true;
  }
  return latest;
}

Daemon::Daemon(config::Config config)
    : config_(std::move(config)),
      started_ns_(now_ns()),
      signals_(io_, SIGHUP, SIGTERM, SIGINT),
      watchdog_timer_(io_),
      stop_deadline_(io_),
      keeper_(io_, chores_, store_, config_.state_dir),
      reporter_(notifier_, chores_) {}

Daemon::~Daemon() {
  // The dashboard's pool reads the repository too.
  dashboard_.reset();
  aux_.join();  // its tasks use the store and the repository
  scheduler_.reset();
  copies_.reset();
}

int Daemon::run() {
  // A peer that vanishes mid-write must fail that write, not kill the daemon.
  std::signal(SIGPIPE, SIG_IGN);
  if (auto r = start(); !r) {
    spdlog::error("{}", r.error().message());
    return kExitFailure;
  }
  io_.run();
  spdlog::info("stopped");
  return kExitOk;
}

Result<> Daemon::start() {
  auto lock = lock_state_dir(config_.state_dir);
  if (!lock) return std::unexpected(lock.error());
  state_lock_ = std::move(*lock);
  store_.load(config_.state_dir);  // logs what it could not use
  auto repo = open_repository(config_, /*create=*/true);
  if (!repo) return std::unexpected(repo.error());
  repo_ = std::move(*repo);
  auto server = ControlServer::bind(io_, config_.control_socket,
                                    [this](const ControlRequest& request, auto reply) {
                                      requests_.handle(request, std::move(reply));
                                    });
  if (!server) return std::unexpected(server.error());
  server_ = std::move(*server);
  scheduler_ = std::make_unique<Scheduler>(io_, store_, *repo_, config_.max_concurrent_jobs);
  scheduler_->on_finished(
      [this](const NodeSlot& slot, const JobOutcome& outcome) { after_run(slot, outcome); });
  scheduler_->on_started([this](const NodeSlot& slot) { alerts_.run_started(slot); });
  alerts_.apply(config_);
  // The snapshot records tell how long each node has gone without a backup, the daemon's own
  // downtime included: a node stale before the daemon started is reported now.
  scheduler_->apply(config_, latest_snapshots(*repo_));
  start_copies();
  if (config_.http) {
    auto dashboard = http::Dashboard::start(io_, *this, *repo_, *config_.http);
    if (!dashboard) return std::unexpected(dashboard.error());
    dashboard_ = std::move(*dashboard);
  }
  for (const auto& [id, slot] : scheduler_->nodes()) {
    slot->health.check_store(store_.untrusted(id, kAlarmExamples), now_ns());
    check_stale(*slot);
    reporter_.alarms(*slot);
    alerts_.check_alarms(*slot);
  }
  if (config_.repository_space) check_space();
  arm_watch();
  watch_signals();
  watchdog_period_ = Notifier::watchdog_period();
  if (watchdog_period_) pet_watchdog();
  spdlog::info("nodebackupd {} serving {} nodes from {}; control socket {}", NB_VERSION,
               config_.nodes.size(), config_.source, config_.control_socket);
  notifier_.ready(status_line(facts(), *scheduler_));
  return {};
}

void Daemon::watch_signals() {
  signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    on_signal(signal);
    watch_signals();
  });
}

void Daemon::on_signal(int signal) {
  if (signal == SIGHUP) {
    spdlog::info("SIGHUP: reloading {}", config_.source);
    reload([](Result<>) {});
  } else {
    begin_stop(signal == SIGTERM ? "SIGTERM" : "SIGINT");
  }
}

void Daemon::begin_stop(const char* why) {
  if (stopping_) {
    spdlog::info("{}: already stopping", why);
    return;
  }
  stopping_ = true;
  spdlog::info("{}: stopping; {} running job(s) and {} copy(ies) stop at their next checkpoint",
               why, scheduler_->running(), copies_->running());
  notifier_.stopping();
  reporter_.stop();
  watch_timer_.cancel();
  server_->close();
  if (dashboard_) dashboard_->close();
  keeper_.stop();
  stop_deadline_.expires_after(kStopDeadline);
  stop_deadline_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    // A job stuck in I/O cannot be interrupted from outside its thread. Everything it
    // committed is in the store; what it did not commit was never written back.
    spdlog::error("running jobs did not reach a checkpoint within {}s; exiting without them",
                  kStopDeadline.count());
    if (auto r = keeper_.save_now(); !r) spdlog::error("{}", r.error().message());
    std::_Exit(kExitOk);
  });
  running_schedulers_ = 2;
  scheduler_->stop([this] { after_jobs(); });
  copies_->stop([this] { after_jobs(); });
}

void Daemon::after_jobs() {
  if (--running_schedulers_ > 0) return;
  if (auto r = keeper_.save_now(); !r) spdlog::error("hash store: {}", r.error().message());
  // What the last runs had to say gets a few seconds to go out; a hung target does not
  // hold the exit up longer.
  alerts_.stop(std::chrono::steady_clock::now() + kNotifyDrain);
  // Drained, not stopped: with the last timer and the signals gone, run() returns once the
  // handlers already queued (replies to clients, say) have run.
  stop_deadline_.cancel();
  watchdog_timer_.cancel();
  signals_.cancel();
}

void Daemon::start_copies() {
  copies_ = std::make_unique<CopyScheduler>(io_, chores_, *repo_, config_.state_dir);
  copies_->load();
  copies_->on_finished([this](const CopySlot& slot) {
    alerts_.copy_finished(slot);
    if (!stopping_) reporter_.after_run(facts(), *scheduler_, config_.metrics_textfile);
    maybe_prune();
  });
  copies_->apply(config_);
  for (const auto& [name, slot] : copies_->copies()) alerts_.copy_failing(*slot);
}

void Daemon::after_run(const NodeSlot& finished, const JobOutcome& outcome) {
  NodeSlot& slot = *scheduler_->nodes().at(finished.config.id);
  last_node_ = slot.config.id;
  check_stale(slot);
  reporter_.alarms(slot);
  if (dashboard_) dashboard_->after_run(slot);
  alerts_.run_finished(slot, outcome.hook_failures);
  keeper_.changed(config_.store_snapshot_interval);
  // One pass over the store's entries serves both the metrics and STATUS=.
  reporter_.after_run(facts(), *scheduler_, config_.metrics_textfile);
  maybe_prune();
}

// With "prune_interval" set, the repository is pruned after a backup, at most that often, at a
// moment no other backup or copy runs: prune takes the repository lock exclusively, and queued
// backups and copies wait for it rather than the other way round.
void Daemon::maybe_prune() {
  if (!config_.prune_interval || pruning_ || stopping_ || scheduler_->running() > 0 ||
      copies_->running() > 0) {
    return;
  }
  const int64_t due = last_prune_ns_ + std::chrono::nanoseconds(*config_.prune_interval).count();
  if (last_prune_ns_ != 0 && now_ns() < due) return;
  pruning_ = true;
  asio::post(aux_, [this, policies = retention_policies(config_)] {
    auto report = repo::prune(*repo_, policies, {});  // logs its summary
    asio::post(io_, [this, ok = report.has_value(),
                     error = report ? std::string() : report.error().message()] {
      pruning_ = false;
      if (ok) {
        last_prune_ns_ = now_ns();
        if (dashboard_) dashboard_->after_prune();
      } else {
        spdlog::error("scheduled prune failed, retried after the next backup: {}", error);
      }
    });
  });
}

void Daemon::pet_watchdog() {
  notifier_.watchdog();
  watchdog_timer_.expires_after(*watchdog_period_);
  watchdog_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) pet_watchdog();
  });
}

void Daemon::diff(const config::NodeConfig& node,
                  std::function<void(const backup::JobResult&)> done) {
  asio::post(aux_, [this, node, done = std::move(done)] {
    auto result = run_diff(node, store_, *repo_);
    asio::post(io_, [done, result = std::move(result)] { done(result); });
  });
}

void Daemon::notify_test(const std::optional<std::string>& target,
                         std::function<void(nlohmann::json)> done) {
  spdlog::info("notify-test requested for {}", target.value_or("every target"));
  alerts_.test(target, std::move(done));
}

DaemonFacts Daemon::facts() const {
  DaemonFacts facts{config_.source,  started_ns_,        store_.stats(), last_node_,
                    alerts_.stats(), repository_alarms_, std::nullopt,   {}};
  if (config_.repository_space) facts.repository_space = space_.last();
  if (copies_) {
    for (const auto& [name, slot] : copies_->copies()) {
      facts.copies.push_back({slot->copy, slot->state(), slot->next_run_ns, slot->history});
    }
  }
  return facts;
}

}  // namespace nb::daemon
