#include "backup/exclude.h"

#include <fnmatch.h>

#include <algorithm>

namespace nb::backup {

namespace {

std::vector<std::string_view> split_components(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    const auto slash = path.find('/');
    const auto part = path.substr(0, slash);
    if (!part.empty()) out.push_back(part);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

// One component against one pattern component: fnmatch without flags, since neither side
// holds a '/'. "**" inside a component is two stars, which fnmatch reads as one.
bool component_matches(const std::string& pattern, std::string_view name) {
  const std::string subject(name);  // fnmatch needs a terminated string
  return ::fnmatch(pattern.c_str(), subject.c_str(), 0) == 0;
}

// Pattern components against path components, "**" standing for any number of components.
// Dynamic programming over (pattern, path) positions: a pattern of several "**" and a path of
// thousands of components (a node's names are hostile) stay O(pattern × path).
bool components_match(const std::vector<std::string>& pattern,
                      const std::vector<std::string_view>& path) {
  const size_t n = path.size();
  std::vector<char> reach(n + 1, 0), next(n + 1, 0);
  reach[0] = 1;  // matched no pattern component against no path component
  for (const auto& p : pattern) {
    std::fill(next.begin(), next.end(), 0);
    if (p == "**") {
      // Zero or more components: every position at or after a reachable one.
      bool any = false;
      for (size_t j = 0; j <= n; ++j) next[j] = any = any || reach[j];
    } else {
      for (size_t j = 0; j < n; ++j) {
        if (reach[j] && component_matches(p, path[j])) next[j + 1] = 1;
      }
    }
    reach.swap(next);
  }
  return reach[n] != 0;
}

}  // namespace

ExcludeRules::ExcludeRules(const std::vector<std::string>& patterns) {
  for (std::string text : patterns) {
    Rule rule;
    if (text.starts_with('!')) {
      rule.negated = true;
      text.erase(0, 1);
    } else if (text.starts_with("\\!") || text.starts_with("\\#")) {
      text.erase(0, 1);
    }
    while (text.size() > 1 && text.ends_with('/')) {
      rule.directories_only = true;
      text.pop_back();
    }
    if (text.empty() || text == "/") continue;  // matches nothing a walk can meet
    if (text.starts_with('/')) {
      rule.scope = Scope::absolute;
    } else if (text.find('/') != std::string::npos) {
      rule.scope = Scope::below_root;
    }
    if (rule.scope == Scope::name) {
      rule.components.push_back(text);
    } else {
      for (auto part : split_components(text)) rule.components.emplace_back(part);
    }
    rules_.push_back(std::move(rule));
  }
}

bool ExcludeRules::matches(const Rule& rule, std::string_view root, std::string_view path) {
  if (rule.scope == Scope::name) {
    const auto slash = path.find_last_of('/');
    return component_matches(rule.components[0],
                             slash == std::string_view::npos ? path : path.substr(slash + 1));
  }
  if (rule.scope == Scope::below_root) {
    if (path.size() <= root.size() || !path.starts_with(root)) return false;
    path.remove_prefix(root == "/" ? 1 : root.size() + 1);
  }
  return components_match(rule.components, split_components(path));
}

bool ExcludeRules::excluded(std::string_view root, std::string_view path, bool is_directory) const {
  for (auto rule = rules_.rbegin(); rule != rules_.rend(); ++rule) {
    if (rule->directories_only && !is_directory) continue;
    if (matches(*rule, root, path)) return !rule->negated;
  }
  return false;
}

}  // namespace nb::backup
