// The node filesystem of the machine the daemon runs on.
#pragma once

#include <sys/stat.h>

#include <memory>

#include "fs/node_fs.h"

namespace nb::fs {

std::unique_ptr<NodeFs> make_local_fs();

// lstat metadata as a FileMeta (shared by LocalFs and the restore/verify code that looks at
// local files).
FileMeta meta_from_stat(const struct ::stat& st);

}  // namespace nb::fs
