// ShapeReader: the store's own shape, streamed (see store_reader.h). Every step either reads
// one whole item and applies it, or changes nothing: `more` asks for the next block and the
// step is retried from the same place, so an item may straddle blocks. Any byte it does not
// expect is `off_shape`, never a guess: the general reader then decides.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <charconv>

#include "store/store_reader.h"
#include "util/file.h"
#include "util/json_text.h"

namespace nb::store {

struct ShapeReader::Cursor {
  const char* begin;  // of this feed's text
  const char* p;
  const char* end;

  void skip_space() {
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) ++p;
  }
  bool empty() const { return p == end; }
};

namespace {

using Step = ShapeReader::Step;
constexpr Step kOk = Step::ok, kMore = Step::more, kOff = Step::off_shape;

// A JSON string at c.p (which is '"'). Plain strings are taken as they are (after the same
// UTF-8 check the general reader makes); one with escapes is decoded by nlohmann.
Step read_string(const char*& p, const char* end, std::string& out) {
  bool escaped = false;
  const char* q = p + 1;
  for (;; ++q) {
    if (q == end) return kMore;
    const auto c = static_cast<unsigned char>(*q);
    if (c == '"') break;
    if (c < 0x20) return kOff;
    if (c == '\\') {
      escaped = true;
      if (++q == end) return kMore;  // the escaped character is in the next block
    }
  }
  if (escaped) {
    try {
      out = nlohmann::json::parse(std::string_view(p, static_cast<size_t>(q + 1 - p)))
                .get<std::string>();
    } catch (const nlohmann::json::exception&) {
      return kOff;
    }
  } else {
    out.assign(p + 1, q);
    if (!valid_utf8(out)) return kOff;
  }
  p = q + 1;
  return kOk;
}

// A non-negative integer that fits int64 (what the store writes); anything else is off shape.
Step read_number(const char*& p, const char* end, int64_t& out) {
  const char* q = p;
  while (q < end && *q >= '0' && *q <= '9') ++q;
  if (q == end) return kMore;  // more digits may follow in the next block
  if (*q == '.' || *q == 'e' || *q == 'E') return kOff;
  if (q - p > 1 && *p == '0') return kOff;  // JSON has no leading zeros
  const auto [ptr, ec] = std::from_chars(p, q, out);
  if (ec != std::errc() || ptr != q) return kOff;
  p = q;
  return kOk;
}

Step read_literal(const char*& p, const char* end, bool& out) {
  for (const std::string_view word : {"true", "false"}) {
    const size_t have = static_cast<size_t>(end - p);
    if (std::string_view(p, std::min(have, word.size())) != word.substr(0, have)) continue;
    if (have < word.size()) return kMore;
    out = word == "true";
    p += word.size();
    return kOk;
  }
  return kOff;
}

// `"key"` and the colon after it, leaving the cursor at the value.
Step read_key(ShapeReader::Cursor& c, std::string& key) {
  if (c.empty()) return kMore;
  if (*c.p != '"') return kOff;
  if (Step r = read_string(c.p, c.end, key); r != kOk) return r;
  c.skip_space();
  if (c.empty()) return kMore;
  if (*c.p != ':') return kOff;
  ++c.p;
  c.skip_space();
  return c.empty() ? kMore : kOk;
}

}  // namespace

std::optional<size_t> ShapeReader::feed(std::string_view text, bool at_end) {
  Cursor c{text.data(), text.data(), text.data() + text.size()};
  for (;;) {
    if (level_ == Level::done) {
      c.skip_space();
      if (!c.empty()) return std::nullopt;  // text after the document
      return text.size();
    }
    const char* start = c.p;
    const Step r = step(c);
    if (r == Step::off_shape) return std::nullopt;
    if (r == Step::more) {
      if (at_end) return std::nullopt;  // truncated: the general reader names where
      consumed_ += static_cast<size_t>(start - text.data());
      return static_cast<size_t>(start - text.data());
    }
  }
}

ShapeReader::Step ShapeReader::step(Cursor& c) {
  c.skip_space();
  if (c.empty()) return Step::more;
  if (level_ == Level::before) {
    if (*c.p != '{') return Step::off_shape;
    ++c.p;
    level_ = Level::top;
    first_ = true;
    return Step::ok;
  }
  if (*c.p == '}') {
    ++c.p;
    level_ = level_ == Level::node    ? node_parent_
             : level_ == Level::nodes ? Level::top
                                      : Level::done;
    first_ = false;
    return Step::ok;
  }
  if (!first_) {
    if (*c.p != ',') return Step::off_shape;
    ++c.p;
    c.skip_space();
  }
  return member(c);
}

// One member of the object at level_: a top-level field, a node, or an entry.
ShapeReader::Step ShapeReader::member(Cursor& c) {
  std::string key;
  if (Step r = read_key(c, key); r != kOk) return r;
  const char v = *c.p;
  if (v == '{') {
    ++c.p;
    if (level_ == Level::node) return entry_object(c, std::move(key));
    // A node: under "nodes", or at the top level of a legacy store.
    if (level_ == Level::top && key == "nodes") {
      level_ = Level::nodes;
    } else {
      node_ = &out_[key];
      // Entries are at least ~60 bytes of text and ~170 in a usual store: sizing the entries
      // array for what is left of the text at 128 bytes each spares the load its copies.
      const size_t at = consumed_ + static_cast<size_t>(c.p - c.begin);
      if (text_bytes_ > at) node_->expect((text_bytes_ - at) / 128);
      node_parent_ = level_;
      level_ = Level::node;
    }
    first_ = true;
    return Step::ok;
  }
  if (level_ == Level::nodes) return Step::off_shape;
  if (v == '"') {
    std::string value;
    if (Step r = read_string(c.p, c.end, value); r != kOk) return r;
    if (level_ == Level::top) {
      if (key == "format" && value != kStoreFormat) return Step::off_shape;
    } else {  // "MISSING" or a legacy bare hash: never trusted
      Entry e;
      e.trusted = false;
      ++report_.legacy_values;
      node_->insert_or_assign(std::move(key), e);
    }
    first_ = false;
    return Step::ok;
  }
  if (level_ == Level::top && v >= '0' && v <= '9') {  // tolerated, as by the general reader
    int64_t ignored;
    if (Step r = read_number(c.p, c.end, ignored); r != kOk) return r;
    first_ = false;
    return Step::ok;
  }
  return Step::off_shape;
}

// The rest of an entry's object, after its '{', applied only once it is whole.
ShapeReader::Step ShapeReader::entry_object(Cursor& c, std::string path) {
  constexpr unsigned kHash = 1, kSize = 2, kMtime = 4;
  Entry e;
  unsigned fields = 0;
  std::string path_hex, key, text;
  for (bool first = true;; first = false) {
    c.skip_space();
    if (c.empty()) return Step::more;
    if (*c.p == '}') break;
    if (!first) {
      if (*c.p != ',') return Step::off_shape;
      ++c.p;
      c.skip_space();
    }
    if (Step r = read_key(c, key); r != kOk) return r;
    const char v = *c.p;
    if (v == '"') {
      if (Step r = read_string(c.p, c.end, text); r != kOk) return r;
      if (key == "xxh3") {
        if (auto h = Hash::from_hex(text)) e.hash = *h, fields |= kHash;
      } else if (key == "path_hex") {
        path_hex = std::move(text);
      }
    } else if (v >= '0' && v <= '9') {
      int64_t n;
      if (Step r = read_number(c.p, c.end, n); r != kOk) return r;
      if (key == "size") e.size = static_cast<uint64_t>(n), fields |= kSize;
      if (key == "mtime_ns") e.mtime_ns = n, fields |= kMtime;
      if (key == "ctime_ns") e.ctime_ns = n;
      if (key == "inode") e.inode = static_cast<uint64_t>(n);
    } else if (v == 't' || v == 'f') {
      bool b;
      if (Step r = read_literal(c.p, c.end, b); r != kOk) return r;
      if (key == "racy") e.racy = b;
    } else {
      return Step::off_shape;
    }
  }
  ++c.p;  // the entry's '}'
  if (fields != (kHash | kSize | kMtime)) {
    e = Entry{};
    e.trusted = false;
    ++report_.legacy_values;
  }
  if (!path_hex.empty()) {
    if (auto bytes = hex_decode(path_hex)) path = std::move(*bytes);
  }
  node_->insert_or_assign(std::move(path), e);
  first_ = false;
  return Step::ok;
}

}  // namespace nb::store

// ---- the file ----

namespace nb::store {

namespace {

// Large enough that a read costs little per item, small enough to stay a small part of a
// run's peak memory (the store loads while the job walks).
constexpr size_t kBlock = 1 << 20;

}  // namespace

Result<> parse_store_file(const std::string& path, LoadedNodes& out, LoadReport& report) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error("open", path, errno);
  {
    struct ::stat st;
    const size_t bytes = ::fstat(fd.get(), &st) == 0 ? static_cast<size_t>(st.st_size) : 0;
    ShapeReader reader(out, report, bytes);
    std::string buffer;
    size_t used = 0;  // bytes of buffer already consumed
    for (bool at_end = false; !at_end;) {
      buffer.erase(0, used);
      used = 0;
      const size_t have = buffer.size();
      // The buffer stays one block: what is left of the last block plus as much as fills it.
      // An item longer than a block (a pathological path) grows it instead of failing.
      const size_t want = have < kBlock / 2 ? kBlock - have : std::max(have, kBlock / 2);
      ssize_t n;
      buffer.resize_and_overwrite(have + want, [&](char* data, size_t) {
        do {
          n = ::read(fd.get(), data + have, want);
        } while (n < 0 && errno == EINTR);
        return have + static_cast<size_t>(std::max<ssize_t>(n, 0));
      });
      if (n < 0) return errno_error("read", path, errno);
      at_end = n == 0;
      const auto consumed = reader.feed(buffer, at_end);
      if (!consumed) break;
      used = *consumed;
      if (at_end && reader.finished()) return {};
    }
  }
  // Outside the shape: start over with the general reader on the whole text.
  out.clear();
  report.legacy_values = 0;
  auto text = read_file(path);
  if (!text) return std::unexpected(text.error());
  return parse_store_text(*text, path, out, report);
}

}  // namespace nb::store
