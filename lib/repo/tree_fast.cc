// A decoder for exactly the listing bytes encode_tree() writes (keys in its order, strings
// without escapes). A run reads the newest snapshot's listings of the directories that changed
// (backup/tree_builder.h), restore and prune read many more, and nlohmann's DOM took most of
// that time.
// Anything else — an escaped name, another key order, a listing not written by us — is left to
// the general decoder, so this path only ever accepts a subset of what that one accepts.
#include <charconv>

#include "repo/tree_fast.h"
#include "util/json_text.h"

namespace nb::repo {

namespace {

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool literal(std::string_view text) {
    if (!s_.substr(pos_).starts_with(text)) return false;
    pos_ += text.size();
    return true;
  }
  bool peek(char c) const { return pos_ < s_.size() && s_[pos_] == c; }
  bool at_end() const { return pos_ == s_.size(); }
  // A string as encode_tree() writes one unescaped: UTF-8 without control characters. False
  // for anything else, escapes included, which the general decoder then reads or refuses (JSON
  // forbids raw control characters; a name that is not UTF-8 is written as name_hex).
  bool string(std::string& out) {
    if (!literal("\"")) return false;
    const auto end = s_.find('"', pos_);
    if (end == std::string_view::npos) return false;
    const auto text = s_.substr(pos_, end - pos_);
    for (const char c : text) {
      if (c == '\\' || static_cast<unsigned char>(c) < 0x20) return false;
    }
    if (!valid_utf8(text)) return false;
    out.assign(text);
    pos_ = end + 1;
    return true;
  }
  template <typename T>
  bool number(T& out) {
    const char* begin = s_.data() + pos_;
    const auto [ptr, ec] = std::from_chars(begin, s_.data() + s_.size(), out);
    if (ec != std::errc() || ptr == begin) return false;
    pos_ += static_cast<size_t>(ptr - begin);
    return true;
  }
  template <typename Id>
  bool id(std::optional<Id>& out) {
    std::string hex;
    if (!string(hex)) return false;
    out = Id::from_hex(hex);
    return out.has_value();
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

// `"key":"value"` or `"key_hex":"…"`, as tree.cc's append_bytes writes them.
bool bytes_field(Cursor& c, std::string_view key, std::string& out) {
  if (c.literal("\"" + std::string(key) + "\":")) return c.string(out);
  std::string hex;
  if (!c.literal("\"" + std::string(key) + "_hex\":") || !c.string(hex)) return false;
  auto bytes = hex_decode(hex);
  if (!bytes) return false;
  out = std::move(*bytes);
  return true;
}

bool entry(Cursor& c, TreeEntry& e) {
  std::string type;
  if (!c.literal("{") || !bytes_field(c, "name", e.name) || !c.literal(",\"type\":") ||
      !c.string(type) || !c.literal(",\"mode\":") || !c.number(e.mode) || !c.literal(",\"uid\":") ||
      !c.number(e.uid) || !c.literal(",\"gid\":") || !c.number(e.gid) ||
      !c.literal(",\"mtime_ns\":") || !c.number(e.mtime_ns)) {
    return false;
  }
  if (c.literal(",\"ctime_ns\":") && !c.number(e.ctime_ns)) return false;
  if (type == "file") {
    e.type = FileType::regular;
    if (!c.literal(",\"size\":") || !c.number(e.size) || !c.literal(",\"xxh3\":") ||
        !c.id(e.xxh3)) {
      return false;
    }
    e.sparse = c.literal(",\"sparse\":true");
    if (c.literal(",\"links\":")) {
      if (!c.number(e.links) || e.links < 2 || !c.literal(",\"inode\":") || !c.number(e.inode) ||
          !c.literal(",\"dev\":") || !c.number(e.dev)) {
        return false;
      }
    }
    const bool pieces = c.literal(",\"chunk_lists\":[");
    if (!pieces && !c.literal(",\"content\":[")) return false;
    auto& ids = pieces ? e.chunk_lists : e.content;
    while (!c.literal("]")) {
      if (!ids.empty() && !c.literal(",")) return false;
      std::optional<BlobId> id;
      if (!c.id(id)) return false;
      ids.push_back(*id);
    }
    if (pieces && ids.empty()) return false;
  } else if (type == "dir") {
    e.type = FileType::directory;
    if (!c.literal(",\"tree\":") || !c.id(e.tree)) return false;
    if (c.literal(",\"fingerprint\":") && !c.id(e.fingerprint)) return false;
  } else if (type == "symlink") {
    e.type = FileType::symlink;
    if (!c.literal(",") || !bytes_field(c, "target", e.target)) return false;
  } else if (type == "fifo") {
    e.type = FileType::fifo;
  } else if (type == "chardev" || type == "blockdev") {
    e.type = type == "chardev" ? FileType::char_device : FileType::block_device;
    if (!c.literal(",\"rdev\":") || !c.number(e.rdev)) return false;
  } else {
    return false;
  }
  if (c.literal(",\"xattrs\":[")) {
    while (!c.literal("]")) {
      if (!e.xattrs.empty() && !c.literal(",")) return false;
      auto& x = e.xattrs.emplace_back();
      if (!c.literal("{") || !bytes_field(c, "name", x.name) || !c.literal(",") ||
          !bytes_field(c, "value", x.value) || !c.literal("}")) {
        return false;
      }
      if (e.xattrs.size() > 1 && !(e.xattrs[e.xattrs.size() - 2].name < x.name)) return false;
    }
    if (e.xattrs.empty()) return false;
  }
  return c.literal("}");
}

}  // namespace

std::optional<Tree> decode_canonical_tree(std::string_view data) {
  Cursor c(data);
  Tree tree;
  if (!c.literal("{\"entries\":[")) return std::nullopt;
  while (!c.literal("]")) {
    if (!tree.entries.empty() && !c.literal(",")) return std::nullopt;
    if (!entry(c, tree.entries.emplace_back())) return std::nullopt;
  }
  if (!c.literal("}") || !c.at_end()) return std::nullopt;
  return tree;
}

}  // namespace nb::repo
