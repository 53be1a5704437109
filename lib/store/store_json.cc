// The on-disk shape of the hash store (DESIGN §4), and the legacy shape it must still read:
// {"02_node": {"/path": "MISSING" | "<hash>"}} — values that are never trusted as hashes.
#include <nlohmann/json.hpp>

#include "store/hash_store.h"
#include "util/clock.h"
#include "util/json_text.h"

namespace nb::store {

namespace {

using nlohmann::json;

constexpr const char* kFormat = "nodebackup-hashes/1";

json entry_to_json(const std::string& path, const Entry& e) {
  json j = {{"xxh3", e.hash.hex()}, {"size", e.size}, {"mtime_ns", e.mtime_ns}};
  if (e.ctime_ns) j["ctime_ns"] = *e.ctime_ns;
  if (e.inode) j["inode"] = *e.inode;
  if (e.racy) j["racy"] = true;
  if (!valid_utf8(path)) j["path_hex"] = hex_encode(path);
  return j;
}

// A value we cannot trust: kept (so it is counted and reported) but never used as a hash.
Entry untrusted_entry() {
  Entry e;
  e.trusted = false;
  return e;
}

Entry entry_from_json(const json& j) {
  if (!j.is_object()) return untrusted_entry();
  const auto hash = Hash::from_hex(j.value("xxh3", std::string{}));
  if (!hash || !j.contains("size") || !j.contains("mtime_ns")) return untrusted_entry();
  Entry e;
  e.hash = *hash;
  e.size = j.at("size").get<uint64_t>();
  e.mtime_ns = j.at("mtime_ns").get<int64_t>();
  if (j.contains("ctime_ns")) e.ctime_ns = j.at("ctime_ns").get<int64_t>();
  if (j.contains("inode")) e.inode = j.at("inode").get<uint64_t>();
  e.racy = j.value("racy", false);
  return e;
}

std::string key_to_path(const std::string& key, const json& value) {
  if (value.is_object() && value.contains("path_hex")) {
    if (auto bytes = hex_decode(value.at("path_hex").get<std::string>())) return *bytes;
  }
  return key;
}

}  // namespace

std::string HashStore::to_json() const {
  json nodes = json::object();
  {
    std::lock_guard lock(mutex_);
    for (const auto& [node, entries] : nodes_) {
      json& out = nodes[node] = json::object();
      for (const auto& [path, entry] : entries) {
        // Untrusted values stay visibly untrusted across restarts.
        out[printable(path)] = entry.trusted ? entry_to_json(path, entry) : json("MISSING");
      }
    }
  }
  json doc = {{"format", kFormat}, {"written", rfc3339(now_ns())}, {"nodes", std::move(nodes)}};
  return doc.dump(1) + "\n";
}

Result<> HashStore::from_json(std::string_view text, const std::string& source,
                              LoadReport& report) {
  std::unordered_map<std::string, NodeEntries> loaded;
  try {
    const json doc = json::parse(text);
    if (!doc.is_object()) return fail("load hash store", source, 0, "not a JSON object");
    const bool legacy = !doc.contains("format");
    if (!legacy && doc.at("format") != kFormat) {
      return fail("load hash store", source, 0, "unknown format " + doc.at("format").dump());
    }
    const json& nodes = legacy ? doc : doc.at("nodes");
    for (const auto& [node, entries] : nodes.items()) {
      if (!entries.is_object()) {
        return fail("load hash store", source, 0, "node \"" + node + "\" is not an object");
      }
      auto& out = loaded[node];
      for (const auto& [key, value] : entries.items()) {
        Entry entry = entry_from_json(value);
        if (!entry.trusted) ++report.legacy_values;
        out.emplace(key_to_path(key, value), entry);
      }
    }
  } catch (const json::exception& e) {
    return fail("load hash store", source, 0, e.what());
  }
  if (report.legacy_values > 0) {
    report.warnings.push_back(std::to_string(report.legacy_values) +
                              " entries without a trusted hash (\"MISSING\" or legacy) in " +
                              source + ": those files are read again on their next run");
  }
  std::lock_guard lock(mutex_);
  nodes_ = std::move(loaded);
  return {};
}

}  // namespace nb::store
