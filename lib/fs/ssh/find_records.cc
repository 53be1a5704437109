#include "fs/ssh/find_records.h"

#include "util/clock.h"

#include <cerrno>
#include <charconv>
#include <optional>
#include <sstream>

namespace nb::fs::ssh {

namespace {

FileType type_from_letter(char c) {
  switch (c) {
    case 'f':
      return FileType::regular;
    case 'd':
      return FileType::directory;
    case 'l':
      return FileType::symlink;
    case 'p':
      return FileType::fifo;
    case 's':
      return FileType::socket;
    case 'c':
      return FileType::char_device;
    case 'b':
      return FileType::block_device;
    default:
      return FileType::unknown;
  }
}

// Longer than any field GNU find prints for a real file (PATH_MAX for a path or link target):
// a node that sends more is broken or hostile, and must not grow our memory without bound.
constexpr size_t kMaxField = 8192;

std::optional<uint32_t> parse_octal_mode(std::string_view text) {
  uint32_t mode = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), mode, 8);
  if (ec != std::errc{} || end != text.data() + text.size() || mode > 07777) return std::nullopt;
  return mode;
}

}  // namespace

Result<> FindRecordParser::feed(std::string_view data) {
  while (!data.empty()) {
    const auto nul = data.find('\0');
    if (nul == std::string_view::npos) {
      if (partial_.size() + data.size() > kMaxField) {
        return fail("parse find output", {}, EPROTO,
                    "a field longer than " + std::to_string(kMaxField) + " bytes");
      }
      partial_.append(data);
      return {};
    }
    if (partial_.size() + nul > kMaxField) {
      return fail("parse find output", {}, EPROTO,
                  "a field longer than " + std::to_string(kMaxField) + " bytes");
    }
    partial_.append(data.substr(0, nul));
    data.remove_prefix(nul + 1);
    fields_.push_back(std::move(partial_));
    partial_.clear();
    if (fields_.size() == 3) {
      if (auto r = record(); !r) return r;
      fields_.clear();
    }
  }
  return {};
}

Result<> FindRecordParser::record() {
  std::istringstream head(fields_[0]);
  std::string type, mode;
  FileMeta m;
  std::string mtime, ctime;
  std::string rest;
  uint64_t blocks = 0;
  if (!(head >> type >> mode >> m.uid >> m.gid >> m.size >> mtime >> ctime >> m.inode >> m.nlink >>
        m.dev >> blocks) ||
      (head >> rest) || type.size() != 1 || !parse_octal_mode(mode) ||
      !parse_decimal_seconds(mtime) || !parse_decimal_seconds(ctime)) {
    return fail("parse find output", fields_[1].substr(0, 256), EPROTO,
                "malformed record \"" + fields_[0].substr(0, 256) + "\"");
  }
  m.mtime_ns = *parse_decimal_seconds(mtime);
  m.ctime_ns = *parse_decimal_seconds(ctime);
  m.type = type_from_letter(type[0]);
  m.mode = *parse_octal_mode(mode);
  // tar's test for holes: fewer 512-byte blocks than the size needs.
  m.sparse = m.type == FileType::regular && blocks * 512 < m.size;
  if (m.type == FileType::symlink) m.link_target = fields_[2];
  return on_entry_(fields_[1], m);
}

}  // namespace nb::fs::ssh
