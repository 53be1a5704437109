#include "repo/migrate/migrate.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <unordered_map>

#include "repo/chunk_list.h"
#include "repo/format/chunker.h"
#include "repo/migrate/format1.h"

namespace nb::repo {

namespace {

// Converts format-1 trees into format-2 blobs through one batch; remembers what it converted
// so content shared by many snapshots is read once per run.
class Converter {
 public:
  Converter(Repository& repo, std::map<std::string, uint64_t> sizes, MigrateReport& report)
      : repo_(repo),
        storage_(repo.storage()),
        batch_(repo.new_batch()),
        chunker_(repo.keys().chunker_seed),
        sizes_(std::move(sizes)),
        report_(report) {}

  Result<TreeEntry> entry(const format1::Entry& old) {
    TreeEntry e = old.meta;
    if (e.type == FileType::regular) {
      auto content = file(old.object, e.size);
      if (!content) return std::unexpected(content.error());
      e.xxh3 = old.object;
      if (auto r = set_file_chunks(*batch_, e, *content); !r) return std::unexpected(r.error());
    } else if (e.type == FileType::directory) {
      auto tree = listing(old.object);
      if (!tree) return std::unexpected(tree.error());
      e.tree = *tree;
    }
    return e;
  }

  Result<> commit() { return batch_->commit(); }

 private:
  Result<std::vector<BlobId>> file(const Hash& hash, uint64_t size) {
    if (auto it = files_.find(hash); it != files_.end()) return it->second;
    const std::string name = format1::object_name(hash);
    const auto stored = sizes_.find(name);
    if (stored == sizes_.end() && size > 0) {
      return fail("migrate", storage_.describe(name), ENOENT, "format-1 object is missing");
    }
    std::vector<BlobId> ids;
    Hasher hasher;
    const auto add = [&](std::string_view chunk) -> Result<> {
      auto added = batch_->add(BlobType::data, chunk);
      if (!added) return std::unexpected(added.error());
      ids.push_back(added->id);
      report_.bytes_stored += added->stored;
      return {};
    };
    chunker_.reset();
    const uint64_t total = stored == sizes_.end() ? 0 : stored->second;
    constexpr uint64_t kSlice = 8 << 20;  // large objects stream through in slices
    for (uint64_t at = 0; at < total; at += kSlice) {
      auto slice = storage_.get_range(name, at, std::min(kSlice, total - at));
      if (!slice) return std::unexpected(slice.error());
      hasher.update(slice->data(), slice->size());
      if (auto r = chunker_.feed(*slice, add); !r) return std::unexpected(r.error());
    }
    if (auto r = chunker_.finish(add); !r) return std::unexpected(r.error());
    if (hasher.digest() != hash) {
      return fail("migrate", storage_.describe(name), EIO,
                  "format-1 object is corrupt (its content does not match its name)");
    }
    ++report_.objects_read;
    files_.emplace(hash, ids);
    return ids;
  }

  Result<BlobId> listing(const Hash& hash) {
    if (auto it = trees_.find(hash); it != trees_.end()) return it->second;
    auto old = format1::read_listing(storage_, hash);
    if (!old) return std::unexpected(old.error());
    ++report_.objects_read;
    Tree tree;
    for (const auto& child : *old) {
      auto e = entry(child);
      if (!e) return std::unexpected(e.error());
      tree.entries.push_back(std::move(*e));
    }
    auto added = batch_->add(BlobType::tree, encode_tree(tree));
    if (!added) return std::unexpected(added.error());
    trees_.emplace(hash, added->id);
    return added->id;
  }

  Repository& repo_;
  Storage& storage_;
  std::unique_ptr<BlobBatch> batch_;
  Chunker chunker_;
  std::map<std::string, uint64_t> sizes_;
  MigrateReport& report_;
  std::unordered_map<Hash, std::vector<BlobId>, HashHasher> files_;
  std::unordered_map<Hash, BlobId, HashHasher> trees_;
};

Result<> convert_all(Repository& repo, MigrateReport& report) {
  auto records = format1::read_records(repo.storage());
  if (!records) return std::unexpected(records.error());
  auto existing = repo.storage().list("snapshots/");
  if (!existing) return std::unexpected(existing.error());
  std::set<std::string> done;
  for (const auto& f : *existing) done.insert(f.name);
  auto sizes = format1::object_sizes(repo.storage());
  if (!sizes) return std::unexpected(sizes.error());
  Converter converter(repo, std::move(*sizes), report);
  for (const auto& old : *records) {
    if (done.contains(Repository::snapshot_name(old.meta.node, old.meta.id))) {
      ++report.snapshots_skipped;
      continue;
    }
    if (auto r = repo.check_fault(FaultPoint::migrate_snapshot); !r) return r;
    SnapshotRecord record = old.meta;
    for (const auto& [path, entry] : old.roots) {
      auto converted = converter.entry(entry);
      if (!converted) return std::unexpected(converted.error());
      record.roots.push_back({path, std::move(*converted)});
    }
    // The blobs durable and indexed before the record that refers to them.
    if (auto r = converter.commit(); !r) return r;
    if (auto r = repo.write_snapshot(record); !r) return r;
    ++report.snapshots_converted;
  }
  return {};
}

// Deletes what format 1 left: only ever after the switch to format 2.
Result<> remove_leftovers(Storage& storage, MigrateReport& report) {
  if (auto r = storage.remove("config-2"); !r) return r;
  for (const char* prefix : {"objects/", "snapshots/", "generation", "tmp/"}) {
    auto files = storage.list(prefix);
    if (!files) return std::unexpected(files.error());
    for (const auto& f : *files) {
      if (std::string_view(prefix) == "snapshots/" && !f.name.ends_with(".json")) continue;
      if (auto r = storage.remove(f.name); !r) return r;
      ++report.leftovers_removed;
    }
  }
  return {};
}

}  // namespace

Result<MigrateReport> migrate(const std::function<std::unique_ptr<Storage>()>& open_storage,
                              const MigrateOptions& options) {
  MigrateReport report;
  OpenOptions open_options{
      .create = false, .passphrase = options.passphrase, .allow_format1 = true};
  auto repo = Repository::open(open_storage(), open_options);
  if (!repo) return std::unexpected(repo.error());
  auto lock = (*repo)->lock(/*exclusive=*/true, /*wait=*/false);
  if (!lock) return std::unexpected(lock.error());
  if (!(*repo)->format1()) {
    report.already_format2 = true;
    if (auto r = remove_leftovers((*repo)->storage(), report); !r)
      return std::unexpected(r.error());
    return report;
  }
  if (auto c2 = (*repo)->storage().get("config-2"); !c2) {
    if (c2.error().code() != ENOENT) return std::unexpected(c2.error());
    if (auto r = Repository::init_as((*repo)->storage(), options.init, "config-2"); !r) {
      return std::unexpected(r.error());
    }
    const std::string passphrase = options.init.passphrase;
    open_options.passphrase = [passphrase]() -> Result<std::string> { return passphrase; };
    auto reopened = Repository::open(open_storage(), open_options);
    if (!reopened) return std::unexpected(reopened.error());
    repo = std::move(reopened);
  }
  Repository& r2 = **repo;
  r2.set_fault_hook(options.fault_hook);
  if (auto r = convert_all(r2, report); !r) return std::unexpected(r.error());
  // The switch: one durable put makes the repository format 2.
  auto config = r2.storage().get("config-2");
  if (!config) return std::unexpected(config.error());
  if (auto r = r2.storage().put("config", *config); !r) return std::unexpected(r.error());
  if (auto r = remove_leftovers(r2.storage(), report); !r) return std::unexpected(r.error());
  spdlog::info("migrate: {} snapshots converted ({} earlier), format-1 files removed: {}",
               report.snapshots_converted, report.snapshots_skipped, report.leftovers_removed);
  return report;
}

}  // namespace nb::repo
