// Writing the hash store's on-disk shape (DESIGN §4), and handing what was read to the store.
// A store of 100,000 files is ~20 MB of JSON that --run-once reads and writes every time, so
// it is written directly, one entry per line (store_reader.h says how it is read).
#include <fmt/format.h>

#include "store/hash_store.h"
#include "store/store_reader.h"
#include "util/clock.h"
#include "util/json_text.h"

namespace nb::store {

namespace {

void append_entry(std::string& out, std::string_view path, const Entry& e) {
  append_json_string(out, printable(path));
  if (!e.trusted) {  // untrusted values stay visibly untrusted across restarts
    out += ":\"MISSING\"";
    return;
  }
  fmt::format_to(std::back_inserter(out), ":{{\"xxh3\":\"{}\",\"size\":{},\"mtime_ns\":{}",
                 e.hash.hex(), e.size, e.mtime_ns);
  if (e.ctime_ns) fmt::format_to(std::back_inserter(out), ",\"ctime_ns\":{}", *e.ctime_ns);
  if (e.inode) fmt::format_to(std::back_inserter(out), ",\"inode\":{}", *e.inode);
  if (e.racy) out += ",\"racy\":true";
  if (!valid_utf8(path)) out += ",\"path_hex\":\"" + hex_encode(path) + "\"";
  out += '}';
}

}  // namespace

std::string HashStore::to_json() const {
  NodeMap nodes;
  {
    std::lock_guard lock(mutex_);
    nodes = nodes_;  // shared, immutable maps: the copy is O(nodes)
  }
  return to_json(nodes);
}

std::string HashStore::to_json(const NodeMap& nodes) {
  std::string out;
  (void)write_json(nodes, [&](std::string_view piece) -> Result<> {
    out += piece;
    return {};
  });
  return out;
}

Result<> HashStore::write_json(const NodeMap& nodes,
                               const std::function<Result<>(std::string_view)>& sink) {
  constexpr size_t kPiece = 1 << 20;
  std::string out;
  out.reserve(kPiece + 64 * 1024);
  const auto flush = [&](size_t at_least) -> Result<> {
    if (out.size() < at_least) return {};
    auto r = sink(out);
    out.clear();
    return r;
  };
  out += "{\"format\":\"";
  out += kStoreFormat;
  out += "\",\"written\":\"" + rfc3339(now_ns()) + "\",\"nodes\":{";
  bool first_node = true;
  for (const auto& [node, entries] : nodes) {
    out += first_node ? "\n" : ",\n";
    first_node = false;
    append_json_string(out, node);
    out += ":{";
    bool first = true;
    for (const auto& [path, entry] : *entries) {
      out += first ? "\n" : ",\n";
      first = false;
      append_entry(out, path, entry);
      if (auto r = flush(kPiece); !r) return r;
    }
    out += "}";
  }
  out += "}}\n";
  return flush(0);
}

Result<> HashStore::from_json(std::string_view text, const std::string& source,
                              LoadReport& report) {
  LoadedNodes loaded;
  if (auto parsed = parse_store_text(text, source, loaded, report); !parsed) return parsed;
  adopt(std::move(loaded), source, report);
  return {};
}

Result<> HashStore::from_file(const std::string& path, LoadReport& report) {
  LoadedNodes loaded;
  if (auto parsed = parse_store_file(path, loaded, report); !parsed) return parsed;
  adopt(std::move(loaded), path, report);
  return {};
}

void HashStore::adopt(LoadedNodes loaded, const std::string& source, LoadReport& report) {
  if (report.legacy_values > 0) {
    report.warnings.push_back(std::to_string(report.legacy_values) +
                              " entries without a trusted hash (\"MISSING\" or legacy) in " +
                              source + ": those files are read again on their next run");
  }
  NodeMap nodes;
  for (auto& [node, entries] : loaded) {
    nodes.emplace(node, std::make_shared<const NodeEntries>(std::move(entries)));
  }
  std::lock_guard lock(mutex_);
  replace_all_unlocked(std::move(nodes));
}

}  // namespace nb::store
