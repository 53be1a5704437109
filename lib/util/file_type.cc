#include "util/file_type.h"

namespace nb {

const char* type_name(FileType type) {
  switch (type) {
    case FileType::regular:
      return "file";
    case FileType::directory:
      return "dir";
    case FileType::symlink:
      return "symlink";
    case FileType::fifo:
      return "fifo";
    case FileType::socket:
      return "socket";
    case FileType::char_device:
      return "chardev";
    case FileType::block_device:
      return "blockdev";
    case FileType::unknown:
      break;
  }
  return "unknown";
}

}  // namespace nb
