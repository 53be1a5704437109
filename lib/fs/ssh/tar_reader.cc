#include "fs/ssh/tar_reader.h"

#include "util/clock.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>

namespace nb::fs::ssh {

namespace {

constexpr size_t kBlock = 512;
// A pax extended header or GNU long name carries a path and a few numbers: anything larger
// is not a real archive, and must not grow our memory without bound.
constexpr uint64_t kMaxExtendedHeader = 1 << 20;

uint64_t parse_number(const char* field, size_t len) {
  if (static_cast<unsigned char>(field[0]) & 0x80) {  // GNU base-256 for large values
    uint64_t v = static_cast<unsigned char>(field[0]) & 0x7f;
    for (size_t i = 1; i < len; ++i) v = v << 8 | static_cast<unsigned char>(field[i]);
    return v;
  }
  uint64_t v = 0;
  for (size_t i = 0; i < len && field[i] != '\0' && field[i] != ' '; ++i) {
    if (field[i] >= '0' && field[i] <= '7') v = v * 8 + static_cast<uint64_t>(field[i] - '0');
  }
  return v;
}

std::string field_string(const char* field, size_t len) {
  return std::string(field, strnlen(field, len));
}

bool checksum_ok(const char* block) {
  uint64_t sum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(block[i]);
  }
  return sum == parse_number(block + 148, 8);
}

FileType type_from_flag(char flag) {
  switch (flag) {
    case '0':
    case '\0':
    case '7':
      return FileType::regular;
    case '2':
      return FileType::symlink;
    case '3':
      return FileType::char_device;
    case '4':
      return FileType::block_device;
    case '5':
      return FileType::directory;
    case '6':
      return FileType::fifo;
    default:
      return FileType::unknown;
  }
}

}  // namespace

void TarReader::apply_pax(std::string_view records) {
  // "<len> <key>=<value>\n" repeated; <len> counts the whole record.
  while (!records.empty()) {
    size_t len = 0;
    const auto space = records.find(' ');
    if (space == std::string_view::npos) return;
    std::from_chars(records.data(), records.data() + space, len);
    if (len <= space + 1 || len > records.size()) return;
    const std::string_view record = records.substr(space + 1, len - space - 2);
    records.remove_prefix(len);
    const auto eq = record.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view key = record.substr(0, eq), value = record.substr(eq + 1);
    if (key == "path") pax_path_ = value;
    if (key == "size") {
      std::from_chars(value.data(), value.data() + value.size(), pax_meta_.size);
      pax_has_size_ = true;
    }
    if (key == "mtime") {
      pax_meta_.mtime_ns = parse_decimal_seconds(value).value_or(0);
      pax_has_mtime_ = true;
    }
    if (key == "ctime") {
      pax_meta_.ctime_ns = parse_decimal_seconds(value).value_or(0);
      pax_has_ctime_ = true;
    }
  }
}

Result<> TarReader::header(const char* b) {
  if (std::all_of(b, b + kBlock, [](char c) { return c == '\0'; })) {
    if (++zero_blocks_ == 2) state_ = State::done;
    return {};
  }
  if (!checksum_ok(b)) return fail("read tar stream", {}, 0, "header checksum mismatch");
  const char flag = b[156];
  const uint64_t size = parse_number(b + 124, 12);
  if (flag == 'x' || flag == 'g' || flag == 'L') {
    if (size > kMaxExtendedHeader) {
      return fail("read tar stream", {}, EPROTO,
                  "an extended header of " + std::to_string(size) + " bytes");
    }
    extended_.clear();
    remaining_ = size;
    padding_ = (kBlock - size % kBlock) % kBlock;
    state_ = flag == 'L' ? State::longname : State::pax;
    return {};
  }
  FileMeta meta;
  meta.type = type_from_flag(flag);
  meta.mode = static_cast<uint32_t>(parse_number(b + 100, 8) & 07777);
  meta.uid = static_cast<uint32_t>(parse_number(b + 108, 8));
  meta.gid = static_cast<uint32_t>(parse_number(b + 116, 8));
  meta.size = pax_has_size_ ? pax_meta_.size : size;
  // Clamped so a hostile header cannot overflow the nanosecond count.
  const uint64_t mtime_s = std::min<uint64_t>(parse_number(b + 136, 12), 9'000'000'000ULL);
  meta.mtime_ns =
      pax_has_mtime_ ? pax_meta_.mtime_ns : static_cast<int64_t>(mtime_s) * 1'000'000'000;
  if (pax_has_ctime_) meta.ctime_ns = pax_meta_.ctime_ns;
  std::string path = pax_path_;
  if (path.empty()) {
    const std::string prefix = field_string(b + 345, 155);
    path = (prefix.empty() ? "" : prefix + "/") + field_string(b, 100);
  }
  // tar writes a directory's name with a trailing slash ("dir/"); members are named as the
  // files were asked for.
  if (meta.type == FileType::directory && path.size() > 1 && path.ends_with('/')) path.pop_back();
  if (meta.type == FileType::symlink) meta.link_target = field_string(b + 157, 100);
  pax_path_.clear();
  pax_has_size_ = pax_has_mtime_ = pax_has_ctime_ = false;
  const uint64_t data = meta.type == FileType::regular ? meta.size : 0;
  if (auto r = cb_.begin(path, meta); !r) return r;
  remaining_ = data;
  padding_ = (kBlock - data % kBlock) % kBlock;
  state_ = State::data;
  if (remaining_ == 0) {
    if (auto r = cb_.end(); !r) return r;
    state_ = padding_ ? State::padding : State::header;
  }
  return {};
}

Result<> TarReader::feed(std::string_view chunk) {
  while (!chunk.empty() && state_ != State::done) {
    if (state_ == State::data || state_ == State::pax || state_ == State::longname) {
      const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, chunk.size()));
      if (state_ == State::data) {
        if (auto r = cb_.data(chunk.substr(0, take)); !r) return r;
      } else {
        extended_.append(chunk.substr(0, take));
      }
      chunk.remove_prefix(take);
      remaining_ -= take;
      if (remaining_ > 0) continue;
      if (state_ == State::data) {
        if (auto r = cb_.end(); !r) return r;
      } else if (state_ == State::pax) {
        apply_pax(extended_);
      } else {
        pax_path_ = extended_.c_str();  // NUL-terminated name
      }
      state_ = padding_ ? State::padding : State::header;
      continue;
    }
    if (state_ == State::padding) {
      const size_t take = static_cast<size_t>(std::min<uint64_t>(padding_, chunk.size()));
      chunk.remove_prefix(take);
      padding_ -= take;
      if (padding_ == 0) state_ = State::header;
      continue;
    }
    const size_t take = std::min(kBlock - block_.size(), chunk.size());
    block_.append(chunk.substr(0, take));
    chunk.remove_prefix(take);
    if (block_.size() < kBlock) continue;
    const std::string block = std::move(block_);
    block_.clear();
    if (auto r = header(block.data()); !r) return r;
  }
  unused_ = chunk.size();
  return {};
}

}  // namespace nb::fs::ssh
