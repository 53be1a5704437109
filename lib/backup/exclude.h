// Which entries a node's walk leaves out: gitignore-like patterns, the rules people already
// know from git, rsync and restic (documented precisely in nodebackup.json(5)).
//
//   *.swp            no '/' (but a trailing one): a name at any depth
//   /var/cache/apt   a leading '/': the absolute path on the node
//   logs/*.gz        a '/' inside: relative to the configured path the entry was found under
//   build/           a trailing '/': directories only
//   !keep.swp        a leading '!': keeps what an earlier pattern left out
//   **               as a whole component: any number of components, none included
//                    ("**/x", "a/**/b", "a/**"); elsewhere as '*'
//
// '*' and '?' never match '/', "[...]" is a set as in fnmatch(3), '\' quotes the next
// character (so "\!x" and "\#x" are literal). The last pattern that matches decides. An
// excluded directory is not walked, so nothing below it can be kept again.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace nb::backup {

class ExcludeRules {
 public:
  ExcludeRules() = default;
  explicit ExcludeRules(const std::vector<std::string>& patterns);

  // `path` is absolute on the node and lies under `root`, the configured path being walked.
  bool excluded(std::string_view root, std::string_view path, bool is_directory) const;
  bool empty() const { return rules_.empty(); }

 private:
  enum class Scope { name, absolute, below_root };
  struct Rule {
    std::vector<std::string> components;  // of the pattern; one for a name pattern
    Scope scope = Scope::name;
    bool negated = false;
    bool directories_only = false;
  };
  static bool matches(const Rule& rule, std::string_view root, std::string_view path);

  std::vector<Rule> rules_;
};

}  // namespace nb::backup
