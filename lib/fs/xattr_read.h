// Reading a file's extended attributes through the kernel's l*xattr/f*xattr calls: the local
// filesystem's, and the reader restore checks itself against.
#pragma once

#include <string>
#include <vector>

#include "fs/node_fs.h"

namespace nb::fs {

// All attributes this process may read, sorted by name: of the open file `fd`, or (fd < 0)
// of `path` itself, never what a symlink points to. An attribute that vanishes between
// listing and reading is left out; a filesystem without xattr support gives none.
Result<std::vector<Xattr>> read_xattrs(int fd, const std::string& path);

}  // namespace nb::fs
