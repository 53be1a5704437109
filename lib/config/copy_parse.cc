#include "config/copy_parse.h"

#include <utility>

#include "config/config_values.h"
#include "config/s3_parse.h"

namespace nb::config::detail {
namespace {

// "s3://b/p/" and "s3://b/p" are one place; a directory is already normalised.
std::string_view without_trailing_slash(std::string_view location) {
  while (location.size() > 1 && location.back() == '/') location.remove_suffix(1);
  return location;
}

// Whether `inner` is `outer` or lies below it, component-wise ("/a/bc" is not below "/a/b").
bool within(std::string_view inner, std::string_view outer) {
  inner = without_trailing_slash(inner);
  outer = without_trailing_slash(outer);
  if (!inner.starts_with(outer)) return false;
  return inner.size() == outer.size() || outer.back() == '/' || inner[outer.size()] == '/';
}

bool same_place(std::string_view a, std::string_view b) {
  return without_trailing_slash(a) == without_trailing_slash(b);
}

Result<std::string> read_copy_to(const Json& value, const FieldPath& at) {
  if (value.is_string() && value.get<std::string>().empty()) return at.fail("must not be empty");
  return read_repository(value, at);
}

Result<CopyTarget> read_copy(const Json& value, const FieldPath& at, const Config& config) {
  const auto object = open_object(value, at, {"to", "interval", "node"});
  if (!object) return std::unexpected(object.error());
  CopyTarget copy;
  const auto read = run_steps({
      [&] { return required_field(*object, "to", copy.to, read_copy_to); },
      [&] { return optional_field(*object, "interval", copy.interval, read_duration); },
      [&] { return optional_field(*object, "node", copy.node, read_node_id); },
  });
  if (!read) return std::unexpected(read.error());
  if (within(copy.to, config.repository)) {
    return at.key("to").fail("must not be the repository (" + config.repository +
                             ") or lie inside it");
  }
  if (within(config.repository, copy.to)) {
    return at.key("to").fail("must not hold the repository (" + config.repository + ")");
  }
  if (copy.to.starts_with("s3://") && !config.s3) {
    return at.key("to").fail(
        "an s3:// target needs the \"s3\" object (endpoint, credentials_file)");
  }
  if (!copy.node.empty() && config.find_node(copy.node) == nullptr) {
    return at.key("node").fail("no node \"" + copy.node + "\" is configured");
  }
  return copy;
}

}  // namespace

Result<std::vector<CopyTarget>> read_copies(const Json& value, const FieldPath& at,
                                            const Config& config) {
  if (!value.is_array()) return at.fail("must be an array");
  std::vector<CopyTarget> copies;
  for (std::size_t i = 0; i < value.size(); ++i) {
    auto copy = read_copy(value[i], at.index(i), config);
    if (!copy) return std::unexpected(copy.error());
    for (std::size_t j = 0; j < copies.size(); ++j) {
      if (same_place(copies[j].to, copy->to) && copies[j].node == copy->node) {
        return at.index(i).key("to").fail("duplicate copy to \"" + copy->to + "\"" +
                                          (copy->node.empty() ? "" : " of " + copy->node) +
                                          " (also " + at.index(j).str() + ")");
      }
    }
    copies.push_back(std::move(*copy));
  }
  return copies;
}

}  // namespace nb::config::detail
