#include "notify/format.h"

#include <ctime>

#include "util/clock.h"

namespace nb::notify {
namespace {

// Header values never carry a line break: an event's text must not add headers.
std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\r' || c == '\n' || c == '\0') c = ' ';
  }
  return text;
}

std::string crlf(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    if (c != '\r') out += c;
  }
  return out;
}

std::string mail_date(int64_t ns) {
  const std::time_t seconds = ns / 1'000'000'000;
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char buffer[64];
  std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buffer;
}

const char* ntfy_priority(Severity severity) {
  switch (severity) {
    case Severity::error:
      return "high";
    case Severity::warning:
      return "default";
    case Severity::info:
      return "low";
  }
  return "default";
}

int gotify_priority(Severity severity) {
  return severity == Severity::error ? 8 : severity == Severity::warning ? 5 : 2;
}

}  // namespace

HttpBody webhook_body(config::WebhookFormat format, const Event& event) {
  switch (format) {
    case config::WebhookFormat::ntfy:
      return {"text/plain; charset=utf-8",
              text(event),
              {"Title: " + one_line(title(event)),
               std::string("Priority: ") + ntfy_priority(event.severity),
               std::string("Tags: ") +
                   (event.severity == Severity::info ? "white_check_mark" : "warning")}};
    case config::WebhookFormat::slack:
      return {"application/json",
              nlohmann::json{{"text", "*" + title(event) + "*\n" + text(event)}}.dump(),
              {}};
    case config::WebhookFormat::gotify:
      return {"application/json",
              nlohmann::json{{"title", title(event)},
                             {"message", text(event)},
                             {"priority", gotify_priority(event.severity)}}
                  .dump(),
              {}};
    case config::WebhookFormat::json:
      break;
  }
  return {"application/json", to_json(event).dump(), {}};
}

std::string mail_message(const config::NotifyTarget& target, const Event& event) {
  std::string to;
  for (const auto& address : target.to) to += (to.empty() ? "" : ", ") + address;
  std::string headers =
      "From: " + target.from + "\n" + "To: " + to + "\n" + "Subject: " + one_line(title(event)) +
      "\n" + "Date: " + mail_date(event.time_ns) + "\n" + "Message-ID: <" +
      std::to_string(event.time_ns) + "." + event.kind + "@" + one_line(event.host) + ">\n" +
      "MIME-Version: 1.0\n" + "Content-Type: text/plain; charset=utf-8\n" +
      "Content-Transfer-Encoding: 8bit\n" + "X-Nodebackup-Kind: " + event.kind + "\n";
  return crlf(headers + "\n" + text(event) + "\n" + to_json(event).dump() + "\n");
}

std::vector<std::string> command_environment(const Event& event) {
  return {"NB_EVENT_KIND=" + event.kind,
          std::string("NB_EVENT_SEVERITY=") + config::to_string(event.severity),
          "NB_EVENT_NODE=" + event.node,
          "NB_EVENT_ALARM=" + event.alarm,
          "NB_EVENT_SUMMARY=" + one_line(event.summary),
          "NB_EVENT_ERROR=" + one_line(event.error.value_or("")),
          "NB_EVENT_TIME=" + rfc3339(event.time_ns),
          "NB_EVENT_JSON=" + to_json(event).dump()};
}

}  // namespace nb::notify
