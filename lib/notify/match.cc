#include "notify/match.h"

#include <algorithm>

namespace nb::notify {
namespace {

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool per_run(const Event& event) {
  return event.kind == kRunStarted || event.kind == kRunFinished;
}

}  // namespace

bool matches(const config::NotifyTarget& target, const Event& event) {
  const auto& match = target.match;
  if (event.kind == kTest) return true;
  if (!match.nodes.empty() && !contains(match.nodes, event.node)) return false;
  if (target.type == config::NotifyType::ping) return per_run(event);
  if (event.severity < match.min_severity) return false;
  if (match.kinds.empty()) return !per_run(event);
  return contains(match.kinds, event.kind) ||
         (!event.alarm.empty() && contains(match.kinds, event.alarm));
}

std::string ping_url(const config::NotifyTarget& target, const Event& event) {
  std::string url;
  if (event.kind == kRunStarted) {
    url = target.start_url;
  } else if (event.kind == kRunFinished) {
    url = event.ok.value_or(false) ? target.url : target.fail_url;
  } else if (event.kind == kTest) {
    url = target.url + "/log";
  }
  return substitute_node(std::move(url), event.node);
}

std::string substitute_node(std::string text, const std::string& node) {
  static const std::string kPlaceholder = "{node}";
  for (size_t at = text.find(kPlaceholder); at != std::string::npos;
       at = text.find(kPlaceholder, at + node.size())) {
    text.replace(at, kPlaceholder.size(), node);
  }
  return text;
}

}  // namespace nb::notify
