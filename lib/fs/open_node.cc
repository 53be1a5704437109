#include "fs/open_node.h"

#include "fs/local_fs.h"

namespace nb::fs {

Result<std::unique_ptr<NodeFs>> open_node_fs(const config::NodeConfig& node) {
  if (node.type == config::NodeType::local) return make_local_fs();
  return fail("connect", node.id, 0, "ssh nodes are not supported by this build yet");
}

}  // namespace nb::fs
