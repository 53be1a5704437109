#include "repo/snapshot.h"

#include <sodium.h>

#include "repo/tree_json.h"
#include "util/clock.h"

#include "repo/format/corrupt.h"
#include "repo/format/keys.h"
#include "util/json_integer.h"

namespace nb::repo {

using nlohmann::json;

namespace {
constexpr const char* kFormat = "nodebackup-snapshot/2";
}

void counts_to_json(const RunCounts& c, json& out) {
  out["scanned"] = c.scanned;
  out["unchanged"] = c.unchanged;
  out["touched"] = c.touched;
  out["changed"] = c.changed;
  out["new"] = c.added;
  out["deleted"] = c.deleted;
  out["skipped"] = c.skipped;
  out["errors"] = c.errors;
  out["bytes_read"] = c.bytes_read;
  out["bytes_stored"] = c.bytes_stored;
}

RunCounts counts_from_json(const json& j) {
  RunCounts c;
  c.scanned = integer_field<uint64_t>(j, "scanned");
  c.unchanged = integer_field<uint64_t>(j, "unchanged");
  c.touched = integer_field<uint64_t>(j, "touched");
  c.changed = integer_field<uint64_t>(j, "changed");
  c.added = integer_field<uint64_t>(j, "new");
  c.deleted = integer_field<uint64_t>(j, "deleted");
  c.skipped = integer_field<uint64_t>(j, "skipped");
  c.errors = integer_field<uint64_t>(j, "errors");
  c.bytes_read = integer_field<uint64_t>(j, "bytes_read");
  c.bytes_stored = integer_field<uint64_t>(j, "bytes_stored");
  return c;
}

std::string new_snapshot_id(int64_t now) {
  std::string stamp = rfc3339(now);  // 2026-11-29T10:00:00Z → 20261129T100000Z
  std::erase(stamp, '-');
  std::erase(stamp, ':');
  // From the kernel on every call (libsodium): a per-process generator would repeat itself in
  // a forked child, and a record put under a name already taken replaces that snapshot.
  ensure_sodium();
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%06x",
                static_cast<unsigned>(randombytes_random() & 0xffffff));
  return stamp + "-" + suffix;
}

json snapshot_summary_json(const SnapshotRecord& r) {
  json j = {{"id", r.id},
            {"node", r.node},
            {"started", rfc3339(r.started_ns)},
            {"finished", rfc3339(r.finished_ns)},
            {"partial", r.partial}};
  counts_to_json(r.counts, j);
  if (!r.failed_dumps.empty()) {
    json failed = json::array();
    for (const auto& f : r.failed_dumps) failed.push_back({{"name", f.name}, {"error", f.error}});
    j["failed_dumps"] = std::move(failed);
  }
  return j;
}

std::string encode_snapshot(const SnapshotRecord& r) {
  json j = snapshot_summary_json(r);
  j["format"] = kFormat;
  j["started_ns"] = r.started_ns;
  j["finished_ns"] = r.finished_ns;
  json roots = json::array();
  for (const auto& root : r.roots) {
    std::string entry;
    append_entry_json(entry, root.entry);
    json item = {{"entry", json::parse(entry)}};
    put_bytes(item, "path", root.path);
    roots.push_back(std::move(item));
  }
  j["roots"] = std::move(roots);
  return j.dump(1) + "\n";
}

Result<SnapshotRecord> decode_snapshot(std::string_view data, const std::string& what) {
  try {
    const json j = json::parse(data);
    if (j.at("format") != kFormat) {
      return corrupt("read snapshot", what, 0, "unknown format " + j.at("format").dump());
    }
    SnapshotRecord r;
    r.id = j.at("id").get<std::string>();
    r.node = j.at("node").get<std::string>();
    r.started_ns = integer_field<int64_t>(j, "started_ns");
    r.finished_ns = integer_field<int64_t>(j, "finished_ns");
    r.partial = j.at("partial").get<bool>();
    r.counts = counts_from_json(j);
    for (const auto& item : j.at("roots")) {
      r.roots.push_back({get_bytes(item, "path"), entry_from_json(item.at("entry"))});
    }
    if (const auto failed = j.find("failed_dumps"); failed != j.end()) {
      for (const auto& f : *failed) {
        r.failed_dumps.push_back(
            {f.at("name").get<std::string>(), f.at("error").get<std::string>()});
      }
    }
    return r;
  } catch (const std::exception& e) {
    return corrupt("read snapshot", what, 0, e.what());
  }
}

}  // namespace nb::repo
