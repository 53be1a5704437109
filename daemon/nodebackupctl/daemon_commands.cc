// The commands that talk to a running daemon over its control socket.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "common/control_client.h"
#include "common/exit_codes.h"
#include "config/config.h"
#include "nodebackupctl/commands.h"
#include "nodebackupctl/status_table.h"
#include "util/error.h"

namespace nb::ctl {

namespace {

constexpr const char* kDefaultSocket = "/run/nodebackup/control.sock";
constexpr std::chrono::seconds kReplyTimeout{60};

// -s, else the config's control_socket, else the packaged default.
std::string socket_path(const Invocation& inv) {
  if (!inv.socket.empty()) return inv.socket;
  if (auto config = config::load_config(inv.config)) return config->control_socket;
  return kDefaultSocket;
}

int usage(const std::string& text) {
  std::cerr << "nodebackupctl: usage: nodebackupctl " << text << "\n";
  return kExitUsage;
}

// Connects and sends `request`; on failure prints why and sets `code` (3: no daemon).
std::optional<ControlClient> ask(const Invocation& inv, const nlohmann::json& request, int& code) {
  const std::string path = socket_path(inv);
  auto client = ControlClient::connect(path);
  if (!client) {
    std::cerr << "nodebackupctl: cannot reach nodebackupd: " << client.error().message()
              << "\n  (is it running? the socket is -s PATH, else control_socket in " << inv.config
              << ")\n";
    code = kExitNoDaemon;
    return std::nullopt;
  }
  if (auto r = client->send(request); !r) {
    // A daemon that refuses this client says why and hangs up, maybe before the request
    // was sent: its reason beats "Broken pipe".
    auto refusal = client->receive(std::chrono::seconds(1));
    std::cerr << "nodebackupctl: "
              << (refusal ? refusal->value("error", r.error().message()) : r.error().message())
              << "\n";
    code = refusal ? kExitFailure : kExitNoDaemon;
    return std::nullopt;
  }
  return std::move(*client);
}

// The one reply to a simple request, or nullopt (printed, `code` set) when there is none.
std::optional<nlohmann::json> one_reply(const Invocation& inv, const nlohmann::json& request,
                                        int& code) {
  auto client = ask(inv, request, code);
  if (!client) return std::nullopt;
  auto reply = client->receive(kReplyTimeout);
  if (!reply) {
    std::cerr << "nodebackupctl: " << reply.error().message() << "\n";
    code = kExitFailure;
    return std::nullopt;
  }
  if (!reply->value("ok", false)) {
    std::cerr << "nodebackupctl: " << reply->value("error", std::string("request failed")) << "\n";
    code = kExitFailure;
    return std::nullopt;
  }
  return std::move(*reply);
}

void print_progress(const nlohmann::json& event, bool tty) {
  const std::string line = event["node"].get<std::string>() + ": " +
                           std::to_string(event.value("files_read", 0)) + "/" +
                           std::to_string(event.value("files_to_read", 0)) + " files read, " +
                           format_bytes(event.value("bytes_read", 0ULL));
  if (tty) {
    std::cerr << "\r" << line << "\033[K" << std::flush;
  } else {
    std::cerr << line << "\n";
  }
}

// The notification targets' health and the repository's alarms under the table, from the keys
// the daemon adds to status; nothing from a daemon without them.
std::string notify_lines(const nlohmann::json& reply) {
  const auto targets = reply.value("notify", nlohmann::json::array());
  std::string out;
  for (const auto& t : targets) {
    if (!t.is_object()) continue;
    const auto text = [&](const char* key) {
      return t.contains(key) && t[key].is_string() ? t[key].get<std::string>() : std::string("-");
    };
    out += "notify " + text("name") + " (" + text("type") + "): last success " +
           text("last_success") + ", queued " + std::to_string(t.value("queued", 0)) +
           ", dropped " + std::to_string(t.value("dropped", 0));
    if (t.contains("last_error") && t["last_error"].is_string()) {
      out += ", last error " + text("last_error_time") + ": " + text("last_error");
    }
    out += "\n";
  }
  const auto repository = reply.value("repository", nlohmann::json::object());
  for (const auto& a : repository.value("alarms", nlohmann::json::array())) {
    if (!a.is_object()) continue;
    out += "repository: alarm " + a.value("kind", std::string("?")) + " since " +
           a.value("since", std::string("?"));
    for (const auto& e : a.value("examples", nlohmann::json::array())) {
      if (e.is_string()) out += ": " + e.get<std::string>();
    }
    out += "\n";
  }
  return out.empty() ? out : "\n" + out;
}

}  // namespace

int status(const Invocation& inv) {
  int code = kExitOk;
  const auto reply = one_reply(inv, {{"command", "status"}}, code);
  if (!reply) return code;
  if (inv.json) {
    std::cout << reply->dump(2) << "\n";
    return kExitOk;
  }
  const auto report = status::report_from_json(*reply);
  if (!report) {
    std::cerr << "nodebackupctl: unexpected reply from the daemon: " << report.error().message()
              << "\n";
    return kExitFailure;
  }
  std::cout << status_table(*report) << notify_lines(*reply);
  return kExitOk;
}

int run(const Invocation& inv) {
  if (inv.args.size() != 1) return usage("run NODE [--wait]");
  int code = kExitOk;
  auto client = ask(inv, {{"command", "run"}, {"node", inv.args[0]}, {"wait", inv.wait}}, code);
  if (!client) return code;
  const bool tty = ::isatty(2) == 1;
  for (;;) {
    auto reply = client->receive(inv.wait ? std::nullopt : std::optional(kReplyTimeout));
    if (!reply) {
      std::cerr << "\nnodebackupctl: " << reply.error().message() << "\n";
      return kExitFailure;
    }
    const std::string event = reply->value("event", "");
    if (event == "progress") {
      print_progress(*reply, tty);
      continue;
    }
    if (tty && inv.wait) std::cerr << "\r\033[K";
    if (inv.json) std::cout << reply->dump() << "\n";
    if (!reply->value("ok", false)) {
      std::cerr << "nodebackupctl: " << inv.args[0] << ": "
                << reply->value("error", std::string("run failed")) << "\n";
      return kExitFailure;
    }
    if (event == "accepted" && inv.wait) continue;
    if (!inv.json) std::cout << run_line(inv.args[0], *reply) << "\n";
    return kExitOk;
  }
}

int diff(const Invocation& inv) {
  if (inv.args.size() != 1) return usage("diff NODE [--json]");
  int code = kExitOk;
  const auto reply = one_reply(inv, {{"command", "diff"}, {"node", inv.args[0]}}, code);
  if (!reply) return code;
  if (inv.json) {
    std::cout << reply->dump(2) << "\n";
  } else {
    std::cout << diff_text(*reply);
  }
  return kExitOk;
}

int reload(const Invocation& inv) {
  int code = kExitOk;
  if (!one_reply(inv, {{"command", "reload"}}, code)) return code;
  std::cout << "configuration reloaded\n";
  return kExitOk;
}

int metrics(const Invocation& inv) {
  int code = kExitOk;
  const auto reply = one_reply(inv, {{"command", "metrics"}}, code);
  if (!reply) return code;
  std::cout << reply->value("metrics", std::string());
  return kExitOk;
}

int notify_test(const Invocation& inv) {
  if (inv.args.size() > 1) return usage("notify-test [TARGET] [--json]");
  nlohmann::json request = {{"command", "notify-test"}};
  if (!inv.args.empty()) request["target"] = inv.args[0];
  int code = kExitOk;
  const auto reply = one_reply(inv, request, code);
  if (!reply) return code;
  if (inv.json) std::cout << reply->dump(2) << "\n";
  bool all_ok = true;
  for (const auto& target : reply->value("targets", nlohmann::json::array())) {
    const bool ok = target.value("ok", false);
    all_ok = all_ok && ok;
    if (inv.json) continue;
    std::cout << target.value("name", std::string("?")) << ": "
              << (ok ? std::string("sent") : "failed: " + target.value("error", std::string()))
              << "\n";
  }
  return all_ok ? kExitOk : kExitFailure;
}

}  // namespace nb::ctl
