#include "fs/ssh/find_records.h"

#include "util/clock.h"

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

}  // namespace

Result<> FindRecordParser::feed(std::string_view data) {
  while (!data.empty()) {
    const auto nul = data.find('\0');
    if (nul == std::string_view::npos) {
      partial_.append(data);
      return {};
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
  if (!(head >> type >> mode >> m.uid >> m.gid >> m.size >> mtime >> ctime >> m.inode) ||
      type.size() != 1 || !parse_decimal_seconds(mtime) || !parse_decimal_seconds(ctime)) {
    return fail("parse find output", fields_[1], 0, "malformed record \"" + fields_[0] + "\"");
  }
  m.mtime_ns = *parse_decimal_seconds(mtime);
  m.ctime_ns = *parse_decimal_seconds(ctime);
  m.type = type_from_letter(type[0]);
  m.mode = static_cast<uint32_t>(std::stoul(mode, nullptr, 8));
  if (m.type == FileType::symlink) m.link_target = fields_[2];
  return on_entry_(fields_[1], m);
}

}  // namespace nb::fs::ssh
