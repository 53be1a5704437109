#include "fs/ssh/tar_stream.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <optional>

namespace nb::fs::ssh {

namespace {

constexpr size_t kZeros = 64 * 1024;

FileType type_of(const archive_entry* e) {
  switch (archive_entry_filetype(const_cast<archive_entry*>(e))) {
    case AE_IFREG:
      return FileType::regular;
    case AE_IFDIR:
      return FileType::directory;
    case AE_IFLNK:
      return FileType::symlink;
    case AE_IFIFO:
      return FileType::fifo;
    case AE_IFCHR:
      return FileType::char_device;
    case AE_IFBLK:
      return FileType::block_device;
    case AE_IFSOCK:
      return FileType::socket;
    default:
      return FileType::unknown;
  }
}

// A node's header may claim any time: one beyond what nanoseconds since 1970 can hold is
// clamped, not overflowed.
int64_t nanoseconds(time_t sec, long nsec) {
  int64_t ns = 0;
  if (__builtin_mul_overflow(int64_t{sec}, int64_t{1'000'000'000}, &ns) ||
      __builtin_add_overflow(ns, int64_t{nsec}, &ns)) {
    return sec < 0 ? INT64_MIN : INT64_MAX;
  }
  return ns;
}

// What libarchive's read callback works with: the input, and the first error it gave.
struct Source {
  const TarInput& next;
  std::optional<Error> error;
};

la_ssize_t read_callback(struct archive*, void* client, const void** buffer) {
  auto* source = static_cast<Source*>(client);
  auto chunk = source->next();
  if (!chunk) {
    source->error = chunk.error();
    return -1;
  }
  *buffer = chunk->data();
  return static_cast<la_ssize_t>(chunk->size());
}

struct ArchiveFree {
  void operator()(struct archive* a) const { archive_read_free(a); }
};

TarMember member_of(archive_entry* e) {
  TarMember m;
  const char* path = archive_entry_pathname(e);
  m.path = path != nullptr ? path : "";
  m.meta.type = type_of(e);
  // tar names a directory with a trailing slash.
  if (m.meta.type == FileType::directory && m.path.size() > 1 && m.path.back() == '/') {
    m.path.pop_back();
  }
  m.meta.mode = archive_entry_perm(e) & 07777;
  m.meta.uid = static_cast<uint32_t>(archive_entry_uid(e));
  m.meta.gid = static_cast<uint32_t>(archive_entry_gid(e));
  m.meta.size = archive_entry_size_is_set(e) ? static_cast<uint64_t>(archive_entry_size(e)) : 0;
  m.meta.mtime_ns = nanoseconds(archive_entry_mtime(e), archive_entry_mtime_nsec(e));
  if (archive_entry_ctime_is_set(e)) {
    m.meta.ctime_ns = nanoseconds(archive_entry_ctime(e), archive_entry_ctime_nsec(e));
  }
  if (const char* target = archive_entry_symlink(e)) m.meta.link_target = target;
  m.meta.sparse = archive_entry_sparse_count(e) > 0;
  if (m.meta.type == FileType::char_device || m.meta.type == FileType::block_device) {
    m.rdev = archive_entry_rdev(e);
  }
  archive_entry_xattr_reset(e);
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
    m.xattrs.push_back({name != nullptr ? name : "",
                        std::string(static_cast<const char*>(value), value ? size : 0)});
  }
  std::sort(m.xattrs.begin(), m.xattrs.end(),
            [](const Xattr& a, const Xattr& b) { return a.name < b.name; });
  return m;
}

}  // namespace

Result<uint64_t> read_tar(const TarInput& next, const TarCallbacks& cb, const std::string& where) {
  Source source{next, std::nullopt};
  std::unique_ptr<struct archive, ArchiveFree> a(archive_read_new());
  // tar only, and no decompression filter: the node sends what tar writes, nothing a bidder
  // would have to guess at (or inflate).
  archive_read_support_format_tar(a.get());
  const auto broken = [&](const std::string& why) -> std::unexpected<Error> {
    if (source.error) return std::unexpected(*source.error);
    const char* detail = archive_error_string(a.get());
    return fail("read tar stream", where, EPROTO,
                why + (detail != nullptr ? std::string(": ") + detail : std::string()), true);
  };
  if (archive_read_open(a.get(), &source, nullptr, read_callback, nullptr) != ARCHIVE_OK) {
    return broken("not a tar archive");
  }
  static const std::string zeros(kZeros, '\0');
  archive_entry* entry = nullptr;
  for (;;) {
    const int r = archive_read_next_header(a.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return broken("a malformed member header");
    if (archive_entry_hardlink(entry) != nullptr) return broken("a hard-link member");
    const TarMember member = member_of(entry);
    if (auto began = cb.begin(member); !began) return std::unexpected(began.error());
    // Content comes in blocks at offsets; the gaps between them are the holes.
    uint64_t at = 0;
    const auto fill_to = [&](uint64_t end) -> Result<> {
      while (at < end) {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(kZeros, end - at));
        if (auto d = cb.data({zeros.data(), n}); !d) return d;
        at += n;
      }
      return {};
    };
    for (;;) {
      const void* block = nullptr;
      size_t size = 0;
      la_int64_t offset = 0;
      const int d = archive_read_data_block(a.get(), &block, &size, &offset);
      if (d == ARCHIVE_EOF) break;
      if (d != ARCHIVE_OK && d != ARCHIVE_WARN) return broken("a malformed member");
      if (offset < 0 || static_cast<uint64_t>(offset) < at ||
          static_cast<uint64_t>(offset) + size > member.meta.size) {
        return broken("content outside the member's size");
      }
      if (auto f = fill_to(static_cast<uint64_t>(offset)); !f) return std::unexpected(f.error());
      if (size > 0) {
        if (auto w = cb.data({static_cast<const char*>(block), size}); !w) {
          return std::unexpected(w.error());
        }
      }
      at += size;
    }
    // A hole at the end of a sparse file.
    if (member.meta.type == FileType::regular && member.meta.sparse) {
      if (auto f = fill_to(member.meta.size); !f) return std::unexpected(f.error());
    }
  }
  return static_cast<uint64_t>(archive_filter_bytes(a.get(), 0));
}

}  // namespace nb::fs::ssh
