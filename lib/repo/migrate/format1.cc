#include "repo/migrate/format1.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "repo/tree_json.h"

namespace nb::repo::format1 {

namespace {

using nlohmann::json;

Hash hash_of(const json& j, const char* key) {
  auto hash = Hash::from_hex(j.at(key).get<std::string>());
  if (!hash) throw std::invalid_argument(std::string("bad hash in ") + key);
  return *hash;
}

Entry entry_of(const json& j) {
  Entry e;
  e.meta.name = get_bytes(j, "name");
  const std::string type = j.at("type").get<std::string>();
  e.meta.type = type == "file"  ? FileType::regular
                : type == "dir" ? FileType::directory
                                : FileType::symlink;
  if (type != "file" && type != "dir" && type != "symlink") {
    throw std::invalid_argument("unknown entry type " + type);
  }
  e.meta.mode = j.at("mode").get<uint32_t>();
  e.meta.uid = j.at("uid").get<uint32_t>();
  e.meta.gid = j.at("gid").get<uint32_t>();
  e.meta.mtime_ns = j.at("mtime_ns").get<int64_t>();
  if (e.meta.type == FileType::regular) {
    e.meta.size = j.at("size").get<uint64_t>();
    e.object = hash_of(j, "xxh3");
  } else if (e.meta.type == FileType::directory) {
    e.object = hash_of(j, "tree");
  } else {
    e.meta.target = get_bytes(j, "target");
  }
  return e;
}

}  // namespace

std::string object_name(const Hash& hash) {
  const std::string hex = hash.hex();
  return "objects/" + hex.substr(0, 2) + "/" + hex;
}

Result<std::vector<Record>> read_records(const Storage& storage) {
  auto files = storage.list("snapshots/");
  if (!files) return std::unexpected(files.error());
  std::vector<Record> out;
  for (const auto& f : *files) {
    if (!f.name.ends_with(".json")) continue;
    auto text = storage.get(f.name);
    if (!text) return std::unexpected(text.error());
    try {
      const json j = json::parse(*text);
      if (j.at("format") != "nodebackup-snapshot/1") throw std::invalid_argument("not format 1");
      Record r;
      r.name = f.name;
      r.meta.id = j.at("id").get<std::string>();
      r.meta.node = j.at("node").get<std::string>();
      r.meta.started_ns = j.at("started_ns").get<int64_t>();
      r.meta.finished_ns = j.at("finished_ns").get<int64_t>();
      r.meta.partial = j.at("partial").get<bool>();
      r.meta.counts = counts_from_json(j);
      for (const auto& item : j.at("roots")) {
        r.roots.emplace_back(get_bytes(item, "path"), entry_of(item.at("entry")));
      }
      out.push_back(std::move(r));
    } catch (const std::exception& e) {
      return fail("read format-1 snapshot", storage.describe(f.name), 0, e.what());
    }
  }
  std::sort(out.begin(), out.end(), [](const Record& a, const Record& b) {
    return std::tie(a.meta.finished_ns, a.meta.id) < std::tie(b.meta.finished_ns, b.meta.id);
  });
  return out;
}

Result<std::vector<Entry>> read_listing(const Storage& storage, const Hash& hash) {
  auto text = storage.get(object_name(hash));
  if (!text) return std::unexpected(text.error());
  if (Hash::of(text->data(), text->size()) != hash) {
    return fail("read format-1 listing", storage.describe(object_name(hash)), EIO,
                "object is corrupt (hash mismatch)");
  }
  try {
    std::vector<Entry> out;
    const json doc = json::parse(*text);  // named: a temporary would die before the loop
    for (const auto& j : doc.at("entries")) out.push_back(entry_of(j));
    return out;
  } catch (const std::exception& e) {
    return fail("read format-1 listing", storage.describe(object_name(hash)), 0, e.what());
  }
}

Result<std::map<std::string, uint64_t>> object_sizes(const Storage& storage) {
  auto files = storage.list("objects/");
  if (!files) return std::unexpected(files.error());
  std::map<std::string, uint64_t> out;
  for (const auto& f : *files) out.emplace(f.name, f.size);
  return out;
}

}  // namespace nb::repo::format1
