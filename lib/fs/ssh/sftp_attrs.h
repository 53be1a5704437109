// SFTP v3 attributes as the NodeFs metadata they carry: type, mode, owner, size and
// whole-second mtime — no ctime, no inode.
#pragma once

#include <libssh2.h>
#include <libssh2_sftp.h>

#include "fs/node_fs.h"

namespace nb::fs::ssh {

inline FileMeta meta_from_attrs(const LIBSSH2_SFTP_ATTRIBUTES& a) {
  FileMeta m;
  switch (a.permissions & LIBSSH2_SFTP_S_IFMT) {
    case LIBSSH2_SFTP_S_IFREG:
      m.type = FileType::regular;
      break;
    case LIBSSH2_SFTP_S_IFDIR:
      m.type = FileType::directory;
      break;
    case LIBSSH2_SFTP_S_IFLNK:
      m.type = FileType::symlink;
      break;
    case LIBSSH2_SFTP_S_IFIFO:
      m.type = FileType::fifo;
      break;
    case LIBSSH2_SFTP_S_IFSOCK:
      m.type = FileType::socket;
      break;
    case LIBSSH2_SFTP_S_IFCHR:
      m.type = FileType::char_device;
      break;
    case LIBSSH2_SFTP_S_IFBLK:
      m.type = FileType::block_device;
      break;
    default:
      m.type = FileType::unknown;
  }
  m.mode = static_cast<uint32_t>(a.permissions & 07777);
  if (a.flags & LIBSSH2_SFTP_ATTR_UIDGID) {
    m.uid = static_cast<uint32_t>(a.uid);
    m.gid = static_cast<uint32_t>(a.gid);
  }
  m.size = a.filesize;
  m.mtime_ns = static_cast<int64_t>(a.mtime) * 1'000'000'000;
  return m;
}

}  // namespace nb::fs::ssh
