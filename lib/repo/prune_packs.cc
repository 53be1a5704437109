#include "repo/prune_packs.h"

#include <cerrno>
#include <map>
#include <set>

namespace nb::repo {

namespace {

// What becomes of each pack.
struct PackPlan {
  PackRecord record;           // as the index has it
  std::vector<PackBlob> keep;  // blobs this pack is the index's copy of, still referenced
  bool on_storage = false;
  enum class Fate { keep, rewrite, remove } fate = Fate::keep;
};

struct SweepPlan {
  std::vector<std::string> index_files;
  uint64_t index_bytes = 0;
  std::map<BlobId, PackPlan> packs;
  std::vector<StoredFile> unindexed;  // packs no index file names
  uint64_t blobs_before = 0;
  uint64_t blobs_after = 0;
};

Result<SweepPlan> plan_sweep(const Repository& repo, const BlobSet& reached) {
  SweepPlan plan;
  auto files = repo.read_index_files();
  if (!files) return std::unexpected(files.error());
  auto stored = repo.storage().list("data/");
  if (!stored) return std::unexpected(stored.error());
  auto index_sizes = repo.storage().list("index/");
  if (!index_sizes) return std::unexpected(index_sizes.error());
  for (const auto& f : *index_sizes) plan.index_bytes += f.size;
  std::map<std::string, StoredFile> on_storage;
  for (auto& f : *stored) on_storage.emplace(f.name, f);
  BlobSet all, owned;
  for (auto& [name, records] : *files) {
    plan.index_files.push_back(name);
    for (auto& record : records) {
      PackPlan& p = plan.packs[record.pack_id];
      p.on_storage = on_storage.erase(pack_name(record.pack_id)) > 0 || p.on_storage;
      for (const auto& b : record.blobs) {
        all.insert(b.id);
        // One copy of each blob is kept: the first found in a pack that exists.
        if (p.on_storage && reached.contains(b.id) && owned.insert(b.id).second) {
          p.keep.push_back(b);
        }
      }
      if (p.record.blobs.empty()) p.record = std::move(record);
    }
  }
  for (auto& [name, f] : on_storage) plan.unindexed.push_back(f);
  plan.blobs_before = all.size();
  plan.blobs_after = owned.size();
  for (auto& [id, p] : plan.packs) {
    if (p.keep.empty()) {
      p.fate = PackPlan::Fate::remove;
      continue;
    }
    // What a pack of just the kept blobs would take, its header included; the rest of the
    // pack is unused.
    uint64_t needed = kPackFixedOverhead + seal_overhead(repo.keys());
    for (const auto& b : p.keep) needed += b.length + kPackHeaderEntrySize;
    const uint64_t unused = p.record.size > needed ? p.record.size - needed : 0;
    if (static_cast<double>(unused) >= kRewriteUnusedShare * static_cast<double>(p.record.size)) {
      p.fate = PackPlan::Fate::rewrite;
    }
  }
  return plan;
}

bool changes_anything(const SweepPlan& plan) {
  if (plan.index_files.size() > 1 || !plan.unindexed.empty()) return true;
  if (plan.blobs_after != plan.blobs_before) return true;
  for (const auto& [id, p] : plan.packs) {
    if (p.fate != PackPlan::Fate::keep || p.keep.size() != p.record.blobs.size()) return true;
  }
  return false;
}

// Copies the used blobs of the packs to rewrite into new packs; returns their records.
Result<std::vector<PackRecord>> rewrite_packs(Repository& repo, const SweepPlan& plan,
                                              PruneReport& report) {
  std::vector<PackRecord> written;
  PackWriter builder(repo.storage());
  const auto flush = [&]() -> Result<> {
    if (builder.empty()) return {};
    if (auto r = repo.check_fault(FaultPoint::prune_write_pack); !r) return r;
    auto record = builder.finish(repo.keys());
    if (!record) return std::unexpected(record.error());
    ++report.packs_written;
    report.bytes_written += record->size;
    written.push_back(std::move(*record));
    return {};
  };
  for (const auto& [id, p] : plan.packs) {
    if (p.fate != PackPlan::Fate::rewrite) continue;
    auto bytes = repo.storage().get(pack_name(id));
    if (!bytes) return std::unexpected(bytes.error());
    for (const auto& b : p.keep) {
      if (uint64_t{b.offset} + b.length > bytes->size()) {
        return fail("prune", repo.storage().describe(pack_name(id)), EIO,
                    "pack is shorter than its index says; nothing was deleted, run verify");
      }
      auto added = builder.add(b.type, b.id, std::string_view(*bytes).substr(b.offset, b.length),
                               b.raw_length);
      if (!added) return std::unexpected(added.error());
      if (builder.size() >= kPackTargetSize) {
        if (auto r = flush(); !r) return std::unexpected(r.error());
      }
    }
    ++report.packs_rewritten;
  }
  if (auto r = flush(); !r) return std::unexpected(r.error());
  return written;
}

// Puts the index replacing every old one, then deletes the old ones and the freed packs.
Result<> sweep(Repository& repo, const SweepPlan& plan, const RepoLock& lock, PruneReport& report) {
  auto written = rewrite_packs(repo, plan, report);
  if (!written) return std::unexpected(written.error());
  // A rewrite can remake, byte for byte, a pack a killed prune left: never delete what was
  // just written.
  std::set<std::string> written_names;
  for (const auto& w : *written) written_names.insert(pack_name(w.pack_id));
  std::vector<PackRecord> index = std::move(*written);
  for (const auto& [id, p] : plan.packs) {
    if (p.fate == PackPlan::Fate::keep) index.push_back({id, p.record.size, p.keep});
  }
  if (auto r = repo.check_fault(FaultPoint::prune_write_index); !r) return r;
  if (auto r = lock.check(); !r) return r;
  const std::string file = encode_index_file(repo.keys(), index);
  const std::string name = "index/" + content_name(file).hex();
  if (auto r = repo.storage().put(name, file); !r) return r;
  report.bytes_written += file.size();
  for (const auto& old : plan.index_files) {
    if (old == name) continue;
    if (auto r = repo.check_fault(FaultPoint::prune_delete_index); !r) return r;
    if (auto r = repo.storage().remove(old); !r) return r;
    ++report.index_files_replaced;
  }
  report.bytes_freed += plan.index_bytes;
  repo.forget_index();
  // No index file names these packs any more: deleting them cannot take a blob from a record.
  const auto remove_pack = [&](const std::string& pack, uint64_t size) -> Result<> {
    if (auto r = repo.check_fault(FaultPoint::prune_delete_object); !r) return r;
    if (auto r = repo.storage().remove(pack); !r) return r;
    ++report.packs_deleted;
    report.bytes_freed += size;
    return {};
  };
  for (const auto& [id, p] : plan.packs) {
    if (p.fate == PackPlan::Fate::keep || !p.on_storage) continue;
    if (written_names.contains(pack_name(id))) continue;
    if (auto r = remove_pack(pack_name(id), p.record.size); !r) return r;
  }
  for (const auto& f : plan.unindexed) {
    if (written_names.contains(f.name)) continue;
    if (auto r = remove_pack(f.name, f.size); !r) return r;
  }
  return {};
}

}  // namespace

Result<> sweep_blobs(Repository& repo, const BlobSet& reached, bool dry_run, const RepoLock& lock,
                     PruneReport& report) {
  auto plan = plan_sweep(repo, reached);
  if (!plan) return std::unexpected(plan.error());
  report.objects_kept = plan->blobs_after;
  report.objects_removed = plan->blobs_before - plan->blobs_after;
  if (!changes_anything(*plan)) return {};
  if (!dry_run) return sweep(repo, *plan, lock, report);
  report.bytes_freed += plan->index_bytes;
  report.index_files_replaced = plan->index_files.size();
  for (const auto& [id, p] : plan->packs) {
    if (p.fate == PackPlan::Fate::keep || !p.on_storage) continue;
    ++report.packs_deleted;
    report.packs_rewritten += p.fate == PackPlan::Fate::rewrite;
    report.bytes_freed += p.record.size;
  }
  for (const auto& f : plan->unindexed) {
    ++report.packs_deleted;
    report.bytes_freed += f.size;
  }
  return {};
}

}  // namespace nb::repo
