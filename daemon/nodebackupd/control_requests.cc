// The control socket's commands (DESIGN §7): status, run, diff, reload, metrics.
#include <spdlog/spdlog.h>

#include "nodebackupd/control_requests.h"

namespace nb::daemon {

namespace {

// A diff names at most this many files; the counts cover all of them.
constexpr size_t kMaxDiffFiles = 1000;

nlohmann::json error_reply(const std::string& why) {
  return {{"ok", false}, {"error", why}};
}

nlohmann::json diff_json(const std::string& node, const backup::JobResult& r) {
  if (!r.ok) return error_reply(r.error ? r.error->message() : "diff failed");
  uint64_t bytes = 0;
  auto files = nlohmann::json::array();
  for (const auto& planned : r.planned) {
    bytes += planned.size;
    if (files.size() < kMaxDiffFiles) {
      files.push_back({{"path", planned.path},
                       {"size", planned.size},
                       {"reason", backup::to_string(planned.reason)}});
    }
  }
  return {{"ok", true},
          {"node", node},
          {"scanned", r.counts.scanned},
          {"unchanged", r.counts.unchanged},
          {"to_read", r.planned.size()},
          {"bytes_to_read", bytes},
          {"deleted", r.counts.deleted},
          {"errors", r.counts.errors},
          {"files", std::move(files)},
          {"files_truncated", r.planned.size() > kMaxDiffFiles}};
}

}  // namespace

void ControlRequests::handle(const ControlRequest& request, std::shared_ptr<ReplyChannel> reply) {
  const std::string& command = request.command;
  if (command == "status") {
    reply->send(status_json(daemon_.facts(), daemon_.scheduler()), true);
  } else if (command == "run") {
    run(request, std::move(reply));
  } else if (command == "diff") {
    diff(request, std::move(reply));
  } else if (command == "reload") {
    spdlog::info("reload requested over the control socket");
    daemon_.reload([reply](Result<> r) {
      reply->send(r ? nlohmann::json{{"ok", true}} : error_reply(r.error().message()), true);
    });
  } else if (command == "notify-test") {
    daemon_.notify_test(request.target,
                        [reply](nlohmann::json result) { reply->send(result, true); });
  } else if (command == "metrics") {
    reply->send({{"ok", true}, {"metrics", metrics_text(daemon_.facts(), daemon_.scheduler())}},
                true);
  }
}

void ControlRequests::run(const ControlRequest& request, std::shared_ptr<ReplyChannel> reply) {
  const auto& node = request.node;
  const bool waiting = request.wait;
  RunListener listener;
  if (waiting) {
    listener = [reply](const nlohmann::json& event, bool last) { reply->send(event, last); };
  }
  auto& scheduler = daemon_.scheduler();
  if (auto r = scheduler.run_now(*node, listener); !r) {
    reply->send(error_reply(r.error().message()), true);
    return;
  }
  const auto& slot = *scheduler.nodes().at(*node);
  reply->send({{"ok", true}, {"event", "accepted"}, {"node", *node}, {"state", slot.state()}},
              !waiting);
}

void ControlRequests::diff(const ControlRequest& request, std::shared_ptr<ReplyChannel> reply) {
  const auto& node = request.node;
  const auto* config = daemon_.config().find_node(*node);
  if (config == nullptr) {
    reply->send(error_reply("no node \"" + *node + "\" in the running configuration"), true);
    return;
  }
  daemon_.diff(*config, [reply, id = config->id](const backup::JobResult& result) {
    reply->send(diff_json(id, result), true);
  });
}

}  // namespace nb::daemon
