// The kinds of file a node can have. Both sides of the backup speak of them: a NodeFs reports
// them (fs), a snapshot's listings record them (repo), and neither depends on the other.
#pragma once

namespace nb {

enum class FileType {
  regular,
  directory,
  symlink,
  fifo,
  socket,
  char_device,
  block_device,
  unknown
};

// "file", "dir", "symlink", "fifo", "socket", "chardev", "blockdev" or "unknown": the names
// listings store and logs show.
const char* type_name(FileType type);

}  // namespace nb
