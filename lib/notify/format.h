// The bytes each kind of target receives for an event: a webhook body in the target's format
// and the headers that go with it, a mail message, a command's environment.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "notify/event.h"

namespace nb::notify {

struct HttpBody {
  std::string content_type;
  std::string body;
  std::vector<std::string> headers;  // "Name: value", besides Content-Type
};

// json: to_json(event); ntfy: the text with Title, Priority and Tags headers; slack:
// {"text": ...}; gotify: {"title", "message", "priority"}.
HttpBody webhook_body(config::WebhookFormat format, const Event& event);

// An RFC 5322 message with CRLF line ends: From, To, Subject, Date, Message-ID, a text body
// and the event's JSON at its end for a machine that reads the mailbox.
std::string mail_message(const config::NotifyTarget& target, const Event& event);

// NB_EVENT_KIND, NB_EVENT_SEVERITY, NB_EVENT_NODE, NB_EVENT_ALARM, NB_EVENT_SUMMARY,
// NB_EVENT_ERROR, NB_EVENT_TIME and NB_EVENT_JSON, as NAME=value.
std::vector<std::string> command_environment(const Event& event);

}  // namespace nb::notify
