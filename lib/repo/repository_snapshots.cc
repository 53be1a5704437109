// Snapshot records in storage: snapshots/<node>/<id>, each a sealed, compressed JSON record.
#include <algorithm>
#include <cerrno>

#include "repo/format/corrupt.h"
#include "repo/repository.h"

namespace nb::repo {

namespace {

// Record names are snapshot ids: anything else in the directory (a format-1 "<id>.json" left
// by an interrupted migration) is not a record of this format.
bool is_record_name(std::string_view name) {
  const auto slash = name.find_last_of('/');
  const auto id = name.substr(slash + 1);
  return !id.empty() && id.find('.') == std::string_view::npos;
}

}  // namespace

std::string Repository::snapshot_name(const std::string& node, const std::string& id) {
  return "snapshots/" + node + "/" + id;
}

Result<> Repository::write_snapshot(const SnapshotRecord& record) {
  if (auto r = check_fault(FaultPoint::write_snapshot); !r) return r;
  return storage_->put(snapshot_name(record.node, record.id), seal(keys_, encode_snapshot(record)));
}

Result<uint64_t> Repository::remove_snapshot(const std::string& node, const std::string& id) {
  const std::string name = snapshot_name(node, id);
  auto listed = storage_->list(name);
  if (!listed) return std::unexpected(listed.error());
  uint64_t size = 0;
  for (const auto& f : *listed) size += f.name == name ? f.size : 0;
  if (auto r = storage_->remove(name); !r) return std::unexpected(r.error());
  return size;
}

Result<SnapshotRecord> Repository::read_record(const std::string& name) const {
  auto sealed = storage_->get(name);
  if (!sealed) return std::unexpected(sealed.error());
  const std::string what = storage_->describe(name);
  auto text = unseal(keys_, *sealed, what);
  if (!text) return std::unexpected(text.error());
  auto record = decode_snapshot(*text, what);
  if (!record) return std::unexpected(record.error());
  // A record moved under another name (another node's, say) is not taken for that one.
  if (snapshot_name(record->node, record->id) != name) {
    return corrupt("read snapshot", what, EIO, "the record's node and id do not match its name");
  }
  record->stored_size = sealed->size();
  return record;
}

Result<std::optional<SnapshotRecord>> Repository::newest_snapshot(const std::string& node) const {
  auto files = storage_->list("snapshots/" + node + "/");
  if (!files) return std::unexpected(files.error());
  // Ids begin with their second (20261129T100000Z-…): only the records of the newest second
  // are read, and the one that finished last among them wins.
  const auto second = [](const std::string& name) { return name.substr(0, name.rfind('-')); };
  std::string newest;
  for (const auto& f : *files) {
    if (is_record_name(f.name) && second(f.name) > newest) newest = second(f.name);
  }
  std::optional<SnapshotRecord> best;
  for (const auto& f : *files) {
    if (!is_record_name(f.name) || second(f.name) != newest) continue;
    auto record = read_record(f.name);
    if (!record) return std::unexpected(record.error());
    if (!best ||
        std::tie(record->finished_ns, record->id) > std::tie(best->finished_ns, best->id)) {
      best = std::move(*record);
    }
  }
  return best;
}

Result<std::vector<SnapshotRecord>> Repository::snapshots(const std::string& node) const {
  auto files = storage_->list(node.empty() ? "snapshots/" : "snapshots/" + node + "/");
  if (!files) return std::unexpected(files.error());
  std::vector<SnapshotRecord> out;
  for (const auto& f : *files) {
    if (!is_record_name(f.name)) continue;
    auto record = read_record(f.name);
    if (!record) {
      if (record.error().code() == ENOENT) continue;  // removed while listing
      return std::unexpected(record.error());
    }
    out.push_back(std::move(*record));
  }
  std::sort(out.begin(), out.end(), [](const SnapshotRecord& a, const SnapshotRecord& b) {
    return std::tie(a.finished_ns, a.id) < std::tie(b.finished_ns, b.id);
  });
  return out;
}

Result<SnapshotRecord> Repository::find_snapshot(const std::string& node,
                                                 const std::string& id) const {
  auto all = snapshots(node);
  if (!all) return std::unexpected(all.error());
  for (auto it = all->rbegin(); it != all->rend(); ++it) {
    if (id == "latest" ? !it->partial : it->id == id) return std::move(*it);
  }
  return fail("find snapshot", node + " " + id, ENOENT,
              id == "latest" ? "node has no complete snapshot" : "no such snapshot");
}

}  // namespace nb::repo
