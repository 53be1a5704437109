// The SFTP v3 wire format (draft-ietf-secsh-filexfer-02), just the part nodebackup speaks:
// requests are built here and replies decoded here, so that a connection can keep many
// requests in flight and match each reply to its request by id. libssh2's own SFTP functions
// cannot: in 1.10 each LIBSSH2_SFTP holds one open/read/readdir in progress at a time.
#pragma once

#include <libssh2.h>
#include <libssh2_sftp.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace nb::fs::ssh::wire {

// Packet types (section 3 of the draft).
enum : uint8_t {
  kInit = 1,
  kVersion = 2,
  kOpen = 3,
  kClose = 4,
  kRead = 5,
  kLstat = 7,
  kFstat = 8,
  kOpendir = 11,
  kReaddir = 12,
  kReadlink = 19,
  kStatus = 101,
  kHandle = 102,
  kData = 103,
  kName = 104,
  kAttrs = 105,
};

enum : uint32_t { kOk = 0, kEof = 1 };

// Appends big-endian fields to a packet; finish() fills in the length prefix.
class PacketWriter {
 public:
  PacketWriter(uint8_t type, std::optional<uint32_t> id);
  PacketWriter& u32(uint32_t v);
  PacketWriter& u64(uint64_t v);
  PacketWriter& str(std::string_view s);
  // Appends the finished packet (length prefix included) to `out`.
  void finish(std::string& out);

 private:
  std::string buf_;
};

// Reads fields of a reply body with bounds checks: a short or malformed reply sets failed()
// instead of reading past the end.
class PacketReader {
 public:
  explicit PacketReader(std::string_view body) : rest_(body) {}
  uint32_t u32();
  uint64_t u64();
  std::string_view str();
  bool failed() const { return failed_; }

 private:
  std::string_view rest_;
  bool failed_ = false;
};

// One reply: its type, the id of the request it answers, and the rest of its body.
struct Reply {
  uint8_t type = 0;
  uint32_t id = 0;
  std::string_view body;
};

// Splits the first whole packet off `buffer` (from `offset`); nullopt while it is incomplete.
// Sets `bad` when the stream cannot be an SFTP stream (absurd length).
std::optional<Reply> next_reply(std::string_view buffer, size_t& offset, bool& bad);

// Attribute block (flags, then the fields the flags announce) in libssh2's struct, so the one
// conversion to FileMeta (sftp_attrs.h) serves both paths.
LIBSSH2_SFTP_ATTRIBUTES read_attrs(PacketReader& r);

// An SSH_FXP_STATUS reply as an Error for `op` on `path`: no such file → ENOENT, permission
// denied → EACCES (both permanent, like the other statuses: the file, not the connection).
Error status_error(const Reply& reply, const std::string& op, const std::string& path);
// The status code of a STATUS reply (kOk, kEof, …), or nullopt for another reply type.
std::optional<uint32_t> status_code(const Reply& reply);

struct NameEntry {
  std::string name;
  LIBSSH2_SFTP_ATTRIBUTES attrs;
};
// The entries of an SSH_FXP_NAME reply; nullopt when malformed.
std::optional<std::vector<NameEntry>> read_names(const Reply& reply);

}  // namespace nb::fs::ssh::wire
