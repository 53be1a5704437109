#include "repo/tree.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "repo/format/corrupt.h"
#include "repo/tree_fast.h"
#include "repo/tree_json.h"
#include "util/json_integer.h"
#include "util/json_text.h"

namespace nb::repo {

using nlohmann::json;

namespace {

FileType type_from_name(const std::string& name) {
  if (name == "file") return FileType::regular;
  if (name == "dir") return FileType::directory;
  if (name == "symlink") return FileType::symlink;
  if (name == "fifo") return FileType::fifo;
  if (name == "chardev") return FileType::char_device;
  if (name == "blockdev") return FileType::block_device;
  throw std::invalid_argument("unknown entry type \"" + name + "\"");
}

Hash hash_field(const json& j, const char* key) {
  auto hash = Hash::from_hex(j.at(key).get<std::string>());
  if (!hash) throw std::invalid_argument(std::string("bad hash in \"") + key + "\"");
  return *hash;
}

BlobId blob_field(const json& j) {
  auto id = BlobId::from_hex(j.get<std::string>());
  if (!id) throw std::invalid_argument("bad blob id");
  return *id;
}

}  // namespace

void put_bytes(json& j, const char* key, const std::string& bytes) {
  if (valid_utf8(bytes)) {
    j[key] = bytes;
  } else {
    j[std::string(key) + "_hex"] = hex_encode(bytes);
  }
}

std::string get_bytes(const json& j, const char* key) {
  const std::string hex_key = std::string(key) + "_hex";
  if (j.contains(hex_key)) {
    auto bytes = hex_decode(j.at(hex_key).get<std::string>());
    if (!bytes) throw std::invalid_argument("bad hex in \"" + hex_key + "\"");
    return *bytes;
  }
  return j.at(key).get<std::string>();
}

namespace {

// `"key":"value"`, or `"key_hex":"…"` for bytes that are not UTF-8 (the form get_bytes reads).
// `binary_as_hex`: also for text with control characters (an ACL's or a capability's value),
// which as escaped JSON would leave the listing to the slow decoder (tree_fast.h).
void append_bytes(std::string& out, const char* key, const std::string& bytes,
                  bool binary_as_hex = false) {
  const bool utf8 =
      valid_utf8(bytes) && !(binary_as_hex && std::any_of(bytes.begin(), bytes.end(), [](char c) {
                               return static_cast<unsigned char>(c) < 0x20;
                             }));
  fmt::format_to(std::back_inserter(out), "\"{}{}\":", key, utf8 ? "" : "_hex");
  if (utf8) {
    append_json_string(out, bytes);
  } else {
    out += '"' + hex_encode(bytes) + '"';
  }
}

}  // namespace

void append_entry_json(std::string& out, const TreeEntry& e) {
  out += '{';
  append_bytes(out, "name", e.name);
  fmt::format_to(std::back_inserter(out),
                 ",\"type\":\"{}\",\"mode\":{},\"uid\":{},\"gid\":{},\"mtime_ns\":{}",
                 type_name(e.type), e.mode, e.uid, e.gid, e.mtime_ns);
  if (e.ctime_ns != 0) fmt::format_to(std::back_inserter(out), ",\"ctime_ns\":{}", e.ctime_ns);
  switch (e.type) {
    case FileType::regular: {
      const auto& ids = e.chunk_lists.empty() ? e.content : e.chunk_lists;
      fmt::format_to(std::back_inserter(out), ",\"size\":{},\"xxh3\":\"{}\"", e.size,
                     e.xxh3->hex());
      if (e.sparse) out += ",\"sparse\":true";
      if (e.links > 1) {
        fmt::format_to(std::back_inserter(out), ",\"links\":{},\"inode\":{},\"dev\":{}", e.links,
                       e.inode, e.dev);
      }
      fmt::format_to(std::back_inserter(out), ",\"{}\":[",
                     e.chunk_lists.empty() ? "content" : "chunk_lists");
      for (size_t i = 0; i < ids.size(); ++i) {
        out += i == 0 ? "\"" : ",\"";
        out += ids[i].hex();
        out += '"';
      }
      out += ']';
      break;
    }
    case FileType::directory:
      out += ",\"tree\":\"" + e.tree->hex() + "\"";
      if (e.fingerprint) out += ",\"fingerprint\":\"" + e.fingerprint->hex() + "\"";
      break;
    case FileType::symlink:
      out += ',';
      append_bytes(out, "target", e.target);
      break;
    case FileType::fifo:
      break;
    case FileType::char_device:
    case FileType::block_device:
      fmt::format_to(std::back_inserter(out), ",\"rdev\":{}", e.rdev);
      break;
    default:
      throw std::invalid_argument("entry of unsupported type");
  }
  if (!e.xattrs.empty()) {
    out += ",\"xattrs\":[";
    for (size_t i = 0; i < e.xattrs.size(); ++i) {
      out += i == 0 ? "{" : ",{";
      append_bytes(out, "name", e.xattrs[i].name);
      out += ',';
      append_bytes(out, "value", e.xattrs[i].value, /*binary_as_hex=*/true);
      out += '}';
    }
    out += ']';
  }
  out += '}';
}

TreeEntry entry_from_json(const json& j) {
  TreeEntry e;
  e.name = get_bytes(j, "name");
  e.type = type_from_name(j.at("type").get<std::string>());
  e.mode = integer_field<uint32_t>(j, "mode");
  e.uid = integer_field<uint32_t>(j, "uid");
  e.gid = integer_field<uint32_t>(j, "gid");
  e.mtime_ns = integer_field<int64_t>(j, "mtime_ns");
  if (j.contains("ctime_ns")) e.ctime_ns = integer_field<int64_t>(j, "ctime_ns");
  if (j.contains("xattrs")) {
    for (const auto& x : j.at("xattrs")) {
      e.xattrs.push_back({get_bytes(x, "name"), get_bytes(x, "value")});
    }
    // Sorted and unique, as written: a restore applies them in order, and the canonical
    // encoding must give one byte string per listing.
    for (size_t i = 1; i < e.xattrs.size(); ++i) {
      if (!(e.xattrs[i - 1].name < e.xattrs[i].name)) {
        throw std::invalid_argument("xattrs not sorted by name");
      }
    }
  }
  if (e.type == FileType::char_device || e.type == FileType::block_device) {
    e.rdev = integer_field<uint64_t>(j, "rdev");
  }
  if (e.type == FileType::regular) {
    e.size = integer_field<uint64_t>(j, "size");
    e.xxh3 = hash_field(j, "xxh3");
    if (j.contains("sparse")) e.sparse = j.at("sparse").get<bool>();
    if (j.contains("links")) {
      e.links = integer_field<uint32_t>(j, "links");
      e.inode = integer_field<uint64_t>(j, "inode");
      e.dev = integer_field<uint64_t>(j, "dev");
      if (e.links < 2) throw std::invalid_argument("a link count below 2 is not recorded");
    }
    // One of the two: a listing naming both would make its file's content ambiguous.
    if (j.contains("chunk_lists") == j.contains("content")) {
      throw std::invalid_argument("a file entry needs exactly one of content and chunk_lists");
    }
    if (j.contains("content")) {
      for (const auto& id : j.at("content")) e.content.push_back(blob_field(id));
    } else {
      for (const auto& id : j.at("chunk_lists")) e.chunk_lists.push_back(blob_field(id));
      if (e.chunk_lists.empty()) throw std::invalid_argument("empty chunk_lists");
    }
  } else if (e.type == FileType::directory) {
    e.tree = blob_field(j.at("tree"));
    if (j.contains("fingerprint")) e.fingerprint = hash_field(j, "fingerprint");
  } else if (e.type == FileType::symlink) {
    e.target = get_bytes(j, "target");
  }
  return e;
}

std::string encode_tree(const Tree& tree) {
  std::string out = "{\"entries\":[";
  for (size_t i = 0; i < tree.entries.size(); ++i) {
    if (i > 0) out += ',';
    append_entry_json(out, tree.entries[i]);
  }
  out += "]}";
  return out;
}

Result<Tree> decode_tree(std::string_view data, const std::string& what) {
  if (auto fast = decode_canonical_tree(data)) return std::move(*fast);
  try {
    const json doc = json::parse(data);
    Tree tree;
    for (const auto& j : doc.at("entries")) tree.entries.push_back(entry_from_json(j));
    return tree;
  } catch (const std::exception& e) {
    return corrupt("decode listing", what, 0, e.what());
  }
}

ListingFingerprint::ListingFingerprint() {
  static constexpr std::string_view kVersion = "nodebackup-listing-fingerprint/2";
  hasher_.update(kVersion.data(), kVersion.size());
}

void ListingFingerprint::add(const TreeEntry& e) {
  // Fixed-width fields and length-prefixed strings: no two entry lists hash the same bytes.
  const auto put = [this](const auto& v) { hasher_.update(&v, sizeof v); };
  const auto put_string = [&](const std::string& text) {
    put(static_cast<uint64_t>(text.size()));
    hasher_.update(text.data(), text.size());
  };
  put_string(e.name);
  put(static_cast<uint8_t>(e.type));
  put(e.mode);
  put(e.uid);
  put(e.gid);
  put(e.mtime_ns);
  put(e.ctime_ns);
  switch (e.type) {
    case FileType::regular:
      put(e.size);
      put(e.xxh3.value_or(Hash()).bytes());
      put(static_cast<uint8_t>(e.sparse));
      put(e.links);
      put(e.inode);
      put(e.dev);
      break;
    case FileType::directory:
      put(static_cast<uint8_t>(e.fingerprint.has_value()));
      put(e.fingerprint.value_or(Hash()).bytes());
      break;
    case FileType::symlink:
      put_string(e.target);
      break;
    default:
      break;
  }
}

std::string mode_string(const TreeEntry& e) {
  std::string s(1, '-');
  switch (e.type) {
    case FileType::directory:
      s[0] = 'd';
      break;
    case FileType::symlink:
      s[0] = 'l';
      break;
    case FileType::fifo:
      s[0] = 'p';
      break;
    case FileType::char_device:
      s[0] = 'c';
      break;
    case FileType::block_device:
      s[0] = 'b';
      break;
    default:
      break;
  }
  const char* rwx = "rwxrwxrwx";
  for (int bit = 8; bit >= 0; --bit) s += (e.mode >> bit & 1) ? rwx[8 - bit] : '-';
  return s;
}

bool safe_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

}  // namespace nb::repo
