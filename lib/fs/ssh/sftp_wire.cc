#include "fs/ssh/sftp_wire.h"

#include <cerrno>

namespace nb::fs::ssh::wire {

namespace {

// Larger than any reply sftp-server sends (a READ reply carries at most the 256 KiB it allows
// plus a header; a NAME reply at most 100 entries): anything bigger means a corrupt stream.
constexpr uint32_t kMaxPacket = 4 << 20;

uint32_t load_u32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{u[0]} << 24 | uint32_t{u[1]} << 16 | uint32_t{u[2]} << 8 | uint32_t{u[3]};
}

}  // namespace

PacketWriter::PacketWriter(uint8_t type, std::optional<uint32_t> id) {
  buf_.assign(4, '\0');  // length, filled in by finish()
  buf_.push_back(static_cast<char>(type));
  if (id) u32(*id);
}

PacketWriter& PacketWriter::u32(uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) buf_.push_back(static_cast<char>(v >> shift));
  return *this;
}

PacketWriter& PacketWriter::u64(uint64_t v) {
  u32(static_cast<uint32_t>(v >> 32));
  return u32(static_cast<uint32_t>(v));
}

PacketWriter& PacketWriter::str(std::string_view s) {
  u32(static_cast<uint32_t>(s.size()));
  buf_.append(s);
  return *this;
}

void PacketWriter::finish(std::string& out) {
  const auto len = static_cast<uint32_t>(buf_.size() - 4);
  for (int i = 0; i < 4; ++i) buf_[i] = static_cast<char>(len >> (24 - 8 * i));
  out.append(buf_);
}

uint32_t PacketReader::u32() {
  if (rest_.size() < 4) {
    failed_ = true;
    rest_ = {};
    return 0;
  }
  const uint32_t v = load_u32(rest_.data());
  rest_.remove_prefix(4);
  return v;
}

uint64_t PacketReader::u64() {
  const uint64_t high = u32();
  return high << 32 | u32();
}

std::string_view PacketReader::str() {
  const uint32_t len = u32();
  if (failed_ || rest_.size() < len) {
    failed_ = true;
    rest_ = {};
    return {};
  }
  std::string_view s = rest_.substr(0, len);
  rest_.remove_prefix(len);
  return s;
}

std::optional<Reply> next_reply(std::string_view buffer, size_t& offset, bool& bad) {
  std::string_view rest = buffer.substr(offset);
  if (rest.size() < 4) return std::nullopt;
  const uint32_t len = load_u32(rest.data());
  if (len < 5 || len > kMaxPacket) {  // every reply has a type and an id
    bad = true;
    return std::nullopt;
  }
  if (rest.size() < 4 + size_t{len}) return std::nullopt;
  Reply reply;
  reply.type = static_cast<uint8_t>(rest[4]);
  reply.id = load_u32(rest.data() + 5);
  reply.body = rest.substr(9, len - 5);
  offset += 4 + size_t{len};
  return reply;
}

LIBSSH2_SFTP_ATTRIBUTES read_attrs(PacketReader& r) {
  LIBSSH2_SFTP_ATTRIBUTES a{};
  a.flags = r.u32();
  if (a.flags & LIBSSH2_SFTP_ATTR_SIZE) a.filesize = r.u64();
  if (a.flags & LIBSSH2_SFTP_ATTR_UIDGID) {
    a.uid = r.u32();
    a.gid = r.u32();
  }
  if (a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) a.permissions = r.u32();
  if (a.flags & LIBSSH2_SFTP_ATTR_ACMODTIME) {
    a.atime = r.u32();
    a.mtime = r.u32();
  }
  if (a.flags & LIBSSH2_SFTP_ATTR_EXTENDED) {
    for (uint32_t n = r.u32(); n > 0 && !r.failed(); --n) {
      r.str();
      r.str();
    }
  }
  return a;
}

std::optional<uint32_t> status_code(const Reply& reply) {
  if (reply.type != kStatus) return std::nullopt;
  PacketReader r(reply.body);
  const uint32_t code = r.u32();
  if (r.failed()) return std::nullopt;
  return code;
}

Error status_error(const Reply& reply, const std::string& op, const std::string& path) {
  const auto code = status_code(reply);
  if (!code) {
    return Error(op, path, EIO, "unexpected sftp reply type " + std::to_string(reply.type));
  }
  switch (*code) {
    case LIBSSH2_FX_NO_SUCH_FILE:
    case LIBSSH2_FX_NO_SUCH_PATH:
      return Error(op, path, ENOENT);
    case LIBSSH2_FX_PERMISSION_DENIED:
      return Error(op, path, EACCES);
    default:
      return Error(op, path, EIO, "sftp status " + std::to_string(*code), false);
  }
}

std::optional<std::vector<NameEntry>> read_names(const Reply& reply) {
  if (reply.type != kName) return std::nullopt;
  PacketReader r(reply.body);
  const uint32_t count = r.u32();
  std::vector<NameEntry> out;
  out.reserve(std::min<uint32_t>(count, 1024));
  for (uint32_t i = 0; i < count && !r.failed(); ++i) {
    NameEntry e;
    e.name = r.str();
    r.str();  // longname, ls -l style: not needed
    e.attrs = read_attrs(r);
    out.push_back(std::move(e));
  }
  if (r.failed()) return std::nullopt;
  return out;
}

}  // namespace nb::fs::ssh::wire
