#include "nodebackupd/http/dashboard.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>

#include <boost/asio/post.hpp>
#include <boost/beast/http/field.hpp>

#include "nodebackupd/http/html.h"
#include "nodebackupd/http/metrics_extra.h"
#include "nodebackupd/http/pages.h"
#include "nodebackupd/http/snapshot_browser.h"
#include "util/clock.h"
#include "util/file.h"

namespace nb::daemon::http {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

namespace {

constexpr const char* kHtml = "text/html; charset=utf-8";
constexpr const char* kJson = "application/json";

Response reply(unsigned status, std::string_view content_type, std::string body) {
  Response res{static_cast<bhttp::status>(status), 11};
  res.set(bhttp::field::content_type, std::string(content_type));
  res.set(bhttp::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  // Pages carry no script; forbidding it outright makes an escaping mistake harmless.
  res.set("Content-Security-Policy",
          "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'");
  res.body() = std::move(body);
  return res;
}

Response json_reply(unsigned status, const nlohmann::json& j) {
  return reply(status, kJson, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

Response not_found() {
  return reply(404, "text/plain; charset=utf-8", "not found\n");
}

// The bearer token: the file's first line. As with the repository's passphrase file, a file
// group or others may read is refused: the token opens every node's files to its bearer.
Result<std::string> read_token(const std::string& path) {
  struct ::stat st;
  if (::stat(path.c_str(), &st) != 0) return errno_error("read token", path, errno);
  if ((st.st_mode & 077) != 0) {
    return std::unexpected(
        Error("read token", path, EPERM, "the file may be read by group or others; chmod 0600 it")
            .with_kind(ErrorKind::config));
  }
  auto text = read_file(path);
  if (!text) return std::unexpected(text.error());
  std::string token = text->substr(0, text->find_first_of("\r\n"));
  if (token.empty()) {
    return std::unexpected(
        Error("read token", path, 0, "the first line is empty").with_kind(ErrorKind::config));
  }
  return token;
}

// Compares in time independent of where the strings differ.
bool same_secret(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) diff |= a[i] ^ (i < b.size() ? b[i] : 0);
  return diff == 0;
}

nlohmann::json run_row_json(const std::string& node, const RunRow& run) {
  nlohmann::json j{{"node", node},
                   {"started", rfc3339(run.started_ns)},
                   {"finished", rfc3339(run.finished_ns)},
                   {"result", run.ok ? "ok" : "failed"},
                   {"partial", run.partial},
                   {"snapshot", run.ok ? nlohmann::json(run.snapshot_id) : nlohmann::json()},
                   {"error", run.ok ? nlohmann::json() : nlohmann::json(run.error)}};
  repo::counts_to_json(run.counts, j);
  return j;
}

}  // namespace

Result<std::unique_ptr<Dashboard>> Dashboard::start(asio::io_context& io, DaemonControl& daemon,
                                                    repo::Repository& repo,
                                                    const config::HttpSettings& settings) {
  std::optional<std::string> token;
  if (settings.token_file) {
    auto read = read_token(*settings.token_file);
    if (!read) return std::unexpected(read.error());
    token = std::move(*read);
  }
  std::unique_ptr<Dashboard> dashboard(new Dashboard(io, daemon, repo, std::move(token)));
  auto server = HttpServer::bind(io, settings,
                                 [d = dashboard.get()](const Request& request, Responder respond) {
                                   d->handle(request, std::move(respond));
                                 });
  if (!server) return std::unexpected(server.error());
  dashboard->server_ = std::move(*server);
  dashboard->load_histories();
  dashboard->refresh_size();
  spdlog::info("dashboard and /metrics on {}://{}:{}", settings.tls_cert ? "https" : "http",
               settings.host, dashboard->server_->port());
  return dashboard;
}

Dashboard::Dashboard(asio::io_context& io, DaemonControl& daemon, repo::Repository& repo,
                     std::optional<std::string> token)
    : io_(io), daemon_(daemon), repo_(repo), token_(std::move(token)) {}

Dashboard::~Dashboard() {
  alive_.reset();  // answers still to come from the pool are dropped
  close();
  pool_.join();  // its tasks read the repository, which the daemon destroys next
}

void Dashboard::close() {
  if (server_) server_->close();
}

template <class Work, class Done>
void Dashboard::off_loop(Work work, Done done) {
  asio::post(pool_, [&io = io_, work = std::move(work), done = std::move(done),
                     alive = std::weak_ptr<bool>(alive_)]() mutable {
    auto result = work();
    asio::post(io, [result = std::move(result), done = std::move(done), alive]() mutable {
      if (alive.expired()) return;
      done(std::move(result));
    });
  });
}

void Dashboard::after_run(const NodeSlot& slot) {
  if (slot.last_run && !slot.last_run->ok) {
    auto& failures = failures_[slot.config.id];
    failures.push_back(*slot.last_run);
    if (failures.size() > kKeptFailures) failures.pop_front();
  }
  refresh(slot.config.id);
  refresh_size();
}

void Dashboard::after_prune() {
  std::vector<std::string> nodes;
  for (const auto& [node, history] : histories_) nodes.push_back(node);
  for (const auto& node : nodes) refresh(node);
  refresh_size();
}

void Dashboard::load_histories() {
  off_loop([&repo = repo_] { return http::load_histories(repo); },
           [this](Result<Histories> loaded) {
             if (loaded) {
               histories_ = std::move(*loaded);
             } else {
               spdlog::warn("dashboard: cannot read the snapshot records: {}",
                            loaded.error().message());
             }
             loaded_ = true;
             // Runs that finished while loading may not be in what was read.
             for (const auto& node : std::exchange(refresh_again_, {})) refresh(node);
             for (auto& then : std::exchange(waiting_, {})) then();
           });
}

void Dashboard::when_loaded(std::function<void()> then) {
  if (loaded_) {
    then();
  } else {
    waiting_.push_back(std::move(then));
  }
}

void Dashboard::refresh(const std::string& node) {
  if (!loaded_ || refreshing_.contains(node)) {
    refresh_again_.insert(node);
    return;
  }
  refreshing_.insert(node);
  const auto it = histories_.find(node);
  HistoryPtr current = it == histories_.end() ? nullptr : it->second;
  off_loop([&repo = repo_, node, current] { return refresh_history(repo, node, current); },
           [this, node](Result<HistoryPtr> next) {
             refreshing_.erase(node);
             if (next) {
               histories_[node] = std::move(*next);
             } else {
               spdlog::warn("dashboard: {}: cannot read the snapshot records: {}", node,
                            next.error().message());
             }
             if (refresh_again_.erase(node) > 0) refresh(node);
           });
}

void Dashboard::refresh_size() {
  if (sizing_) {
    size_again_ = true;
    return;
  }
  sizing_ = true;
  off_loop([&repo = repo_] { return repository_size(repo); },
           [this](Result<uint64_t> size) {
             sizing_ = false;
             if (size) repo_size_ = *size;
             if (std::exchange(size_again_, false)) refresh_size();
           });
}

void Dashboard::handle(const Request& request, Responder respond) {
  if (request.method() != bhttp::verb::get && request.method() != bhttp::verb::head) {
    auto res = reply(405, "text/plain; charset=utf-8", "read-only: GET and HEAD only\n");
    res.set(bhttp::field::allow, "GET, HEAD");
    respond(std::move(res));
    return;
  }
  if (token_) {
    const auto it = request.find(bhttp::field::authorization);
    const std::string_view given = it == request.end()
                                       ? std::string_view()
                                       : std::string_view(it->value().data(), it->value().size());
    if (!given.starts_with("Bearer ") || !same_secret(given.substr(7), *token_)) {
      auto res = reply(401, "text/plain; charset=utf-8", "a bearer token is required\n");
      res.set(bhttp::field::www_authenticate, "Bearer realm=\"nodebackup\"");
      respond(std::move(res));
      return;
    }
  }
  const std::string_view target(request.target().data(), request.target().size());
  route(std::string(target.substr(0, target.find('?'))), std::move(respond));
}

void Dashboard::route(const std::string& path, Responder respond) {
  if (path == "/metrics") {
    respond(reply(200, "text/plain; version=0.0.4; charset=utf-8", metrics()));
    return;
  }
  if (path == "/") return serve_overview(std::move(respond));
  if (path == "/api/status") {
    respond(json_reply(200, status_json(daemon_.facts(), daemon_.scheduler())));
    return;
  }
  bool ok = false;
  const auto parts = decode_path(path, ok);
  if (!ok) {
    respond(reply(400, "text/plain; charset=utf-8",
                  "bad path: no \".\", \"..\", empty or encoded-slash components\n"));
    return;
  }
  const bool api = !parts.empty() && parts[0] == "api";
  const size_t at = api ? 1 : 0;
  if (parts.size() < at + 2 || parts[at] != "nodes") return respond(not_found());
  if (parts.size() == at + 2) {
    return serve_node(parts[at + 1], api ? NodeView::api : NodeView::page, std::move(respond));
  }
  if (parts[at + 2] != "snapshots") return respond(not_found());
  if (parts.size() == at + 3 && api) {
    return serve_node(parts[at + 1], NodeView::snapshots, std::move(respond));
  }
  if (parts.size() == at + 3) return respond(not_found());
  serve_browse(std::vector<std::string>(parts.begin() + static_cast<long>(at) + 1, parts.end()),
               api, std::move(respond));
}

std::string Dashboard::metrics() const {
  std::string out = metrics_text(daemon_.facts(), daemon_.scheduler());
  if (!loaded_) return out + repository_metrics(repo_size_, nullptr);
  Histories counted = histories_;  // configured nodes without a snapshot count 0
  for (const auto& [id, slot] : daemon_.scheduler().nodes()) counted.try_emplace(id, nullptr);
  return out + repository_metrics(repo_size_, &counted);
}

void Dashboard::serve_overview(Responder respond) {
  when_loaded([this, respond = std::move(respond)]() mutable {
    auto report = status::report_from_json(status_json(daemon_.facts(), daemon_.scheduler()));
    if (!report) return respond(reply(500, "text/plain", report.error().message()));
    std::map<std::string, std::pair<HistoryPtr, std::deque<RunRecord>>> inputs;
    for (const auto& node : report->nodes) {
      const auto h = histories_.find(node.id);
      const auto f = failures_.find(node.id);
      inputs[node.id] = {h == histories_.end() ? nullptr : h->second,
                         f == failures_.end() ? std::deque<RunRecord>() : f->second};
    }
    off_loop(
        [report = std::move(*report), inputs = std::move(inputs)] {
          RunsByNode runs;
          for (const auto& [id, in] : inputs) {
            runs[id] = merge_runs(in.first ? *in.first : NodeHistory{}, in.second);
          }
          return overview_page(report, runs);
        },
        [respond = std::move(respond)](std::string html) mutable {
          respond(reply(200, kHtml, std::move(html)));
        });
  });
}

void Dashboard::serve_node(const std::string& id, NodeView view, Responder respond) {
  when_loaded([this, id, view, respond = std::move(respond)]() mutable {
    const auto status = status_json(daemon_.facts(), daemon_.scheduler());
    auto report = status::report_from_json(status);
    if (!report) return respond(reply(500, "text/plain", report.error().message()));
    // A node no longer configured still has its snapshots to show.
    status::Node node;
    node.id = id;
    node.state = "removed";
    nlohmann::json node_json;
    bool configured = false;
    for (size_t i = 0; i < report->nodes.size(); ++i) {
      if (report->nodes[i].id != id) continue;
      node = report->nodes[i];
      node_json = status["nodes"][i];
      configured = true;
    }
    const auto h = histories_.find(id);
    if (!configured && h == histories_.end()) return respond(not_found());
    const HistoryPtr history = h == histories_.end() ? nullptr : h->second;
    const auto f = failures_.find(id);
    auto failures = f == failures_.end() ? std::deque<RunRecord>() : f->second;
    off_loop(
        [id, view, node = std::move(node), node_json = std::move(node_json), history,
         failures = std::move(failures)] {
          if (view == NodeView::snapshots) {
            // The shape of `nodebackupctl snapshots NODE --json`.
            auto out = nlohmann::json::array();
            if (history) {
              for (const auto& r : history->snapshots)
                out.push_back(repo::snapshot_summary_json(r));
            }
            return json_reply(200, out);
          }
          const auto runs = merge_runs(history ? *history : NodeHistory{}, failures);
          if (view == NodeView::page) return reply(200, kHtml, node_page(node, runs));
          nlohmann::json out{{"node", node_json},
                             {"runs", nlohmann::json::array()},
                             {"snapshots", nlohmann::json::array()}};
          for (const auto& run : runs) out["runs"].push_back(run_row_json(id, run));
          if (history) {
            for (const auto& r : history->snapshots) {
              out["snapshots"].push_back(repo::snapshot_summary_json(r));
            }
          }
          return json_reply(200, out);
        },
        [respond = std::move(respond)](Response res) mutable { respond(std::move(res)); });
  });
}

void Dashboard::serve_browse(const std::vector<std::string>& parts, bool api, Responder respond) {
  // parts: node, "snapshots", snapshot id, then the path inside the snapshot.
  when_loaded([this, parts, api, respond = std::move(respond)]() mutable {
    const auto h = histories_.find(parts[0]);
    if (h == histories_.end() || !h->second) return respond(not_found());
    const repo::SnapshotRecord* record = nullptr;
    for (const auto& r : h->second->snapshots) {
      if (r.id == parts[2]) record = &r;
    }
    if (record == nullptr) return respond(not_found());
    if (browsing_ >= kMaxBrowsing) {
      return respond(reply(503, "text/plain; charset=utf-8", "busy; try again\n"));
    }
    ++browsing_;
    off_loop([&repo = repo_, history = h->second, record,
              path = std::vector<std::string>(parts.begin() + 3, parts.end()),
              api] { return browse_snapshot(repo, *record, path, api); },
             [this, respond = std::move(respond)](BrowseReply r) mutable {
               auto res = reply(r.status, r.content_type, std::move(r.body));
               if (!r.filename.empty()) {
                 res.set(bhttp::field::content_disposition,
                         "attachment; filename*=UTF-8''" + url_segment(r.filename));
               }
               respond(std::move(res), [this] { --browsing_; });
             });
  });
}

}  // namespace nb::daemon::http
