// The daemon's web side (issue 15): the HTTP server with its routes — /metrics for Prometheus,
// the overview and node pages, the snapshot browser, and /api JSON — and the caches they read.
// Everything here lives on the event loop, which only routes and copies: whatever reads the
// repository (records, listings, blobs, its size) or renders a large page runs on this
// object's own small pool and posts the answer back, so a slow disk or a large history never
// delays a backup decision or a control-socket reply.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "config/http_settings.h"
#include "nodebackupd/control_requests.h"
#include "nodebackupd/http/http_server.h"
#include "nodebackupd/http/run_history.h"
#include "repo/repository.h"

namespace nb::daemon::http {

class Dashboard {
 public:
  // Reads the token file, loads the TLS files, binds the listen address, and starts loading
  // the run histories and the repository size in the background.
  static Result<std::unique_ptr<Dashboard>> start(boost::asio::io_context& io,
                                                  DaemonControl& daemon, repo::Repository& repo,
                                                  const config::HttpSettings& settings);
  ~Dashboard();

  // After every run, on the event loop: the node's history and the repository size are
  // brought up to date (off the loop); a failed run joins the in-memory history.
  void after_run(const NodeSlot& slot);
  // After a prune, on the event loop: every node's history drops the records it removed.
  void after_prune();
  // Stops serving (the daemon is stopping).
  void close();

 private:
  Dashboard(boost::asio::io_context& io, DaemonControl& daemon, repo::Repository& repo,
            std::optional<std::string> token);
  void handle(const Request& request, Responder respond);
  void route(const std::string& path, Responder respond);
  // A node's page; its status, runs and snapshots as JSON; or its snapshots alone, as
  // `nodebackupctl snapshots NODE --json` prints them.
  enum class NodeView { page, api, snapshots };
  void serve_node(const std::string& id, NodeView view, Responder respond);
  void serve_overview(Responder respond);
  void serve_browse(const std::vector<std::string>& parts, bool api, Responder respond);
  std::string metrics() const;
  // Runs `then` once the histories are loaded (at once when they are).
  void when_loaded(std::function<void()> then);
  void load_histories();
  void refresh(const std::string& node);
  void refresh_size();
  // Runs `work` on the pool and `done` with its result on the event loop, unless this object
  // is gone by then.
  template <class Work, class Done>
  void off_loop(Work work, Done done);

  boost::asio::io_context& io_;
  DaemonControl& daemon_;
  repo::Repository& repo_;
  std::optional<std::string> token_;
  boost::asio::thread_pool pool_{2};
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::unique_ptr<HttpServer> server_;
  Histories histories_;
  bool loaded_ = false;
  std::vector<std::function<void()>> waiting_;             // for the histories
  std::set<std::string> refreshing_, refresh_again_;       // nodes
  std::map<std::string, std::deque<RunRecord>> failures_;  // since start
  int browsing_ = 0;                                       // browser requests being read or sent
  std::optional<uint64_t> repo_size_;
  bool sizing_ = false, size_again_ = false;
};

}  // namespace nb::daemon::http
