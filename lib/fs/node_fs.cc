#include "fs/node_fs.h"

namespace nb::fs {

std::string missing_metadata(const Capabilities& caps) {
  std::string out;
  const auto add = [&out](bool has, const char* what) {
    if (has) return;
    if (!out.empty()) out += ", ";
    out += what;
  };
  add(caps.hardlinks, "hard links");
  add(caps.xattrs, "extended attributes (ACLs, file capabilities)");
  add(caps.sparse, "holes of sparse files");
  add(caps.specials, "fifos and device nodes");
  add(caps.ctime, "ctime");
  return out;
}

}  // namespace nb::fs
