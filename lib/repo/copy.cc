#include "repo/copy.h"

#include <algorithm>
#include <set>

#include "repo/reachable.h"

namespace nb::repo {

namespace {

// Whether both repositories name the same content by the same id.
bool same_ids(const Repository& a, const Repository& b) {
  constexpr std::string_view kProbe = "nodebackup copy: are blob ids keyed alike?";
  return a.blob_id(kProbe) == b.blob_id(kProbe);
}

bool stop_requested(const CopyOptions& options) {
  return options.stop_requested && options.stop_requested();
}

Result<> copy_blobs(const Repository& from, Repository& to, const BlobSet& blobs,
                    const RepoLock& to_lock, const CopyOptions& options, CopyReport& report) {
  // In id order, so a re-run after an interruption packs the same way.
  std::vector<BlobId> ids(blobs.begin(), blobs.end());
  std::sort(ids.begin(), ids.end());
  BlobBatch batch(to);
  for (const auto& id : ids) {
    // What is batched so far is committed: an interrupted copy keeps its progress.
    if (stop_requested(options)) {
      report.interrupted = true;
      break;
    }
    if (to.has_blob(id)) continue;
    const auto where = from.locate(id);
    if (!where) continue;  // missing in the source: its verify reports it
    auto plaintext = from.read_blob(id);
    if (!plaintext) return std::unexpected(plaintext.error());
    auto added = batch.add(where->type, *plaintext);
    if (!added) return std::unexpected(added.error());
    if (added->stored > 0) {
      ++report.blobs_copied;
      report.bytes_copied += added->stored;
    }
  }
  // As a backup does: a lease that may have lapsed names no pack in an index.
  if (auto r = to_lock.check(); !r) return r;
  return batch.commit();
}

}  // namespace

Result<CopyReport> copy_snapshots(Repository& from, Repository& to, const CopyOptions& options) {
  if (!same_ids(from, to)) {
    return fail("copy", to.root(), EINVAL,
                "the target names blobs differently (one repository is encrypted, or they have "
                "different keys): copy into a plain repository from a plain one, or between "
                "repositories sharing their key");
  }
  auto from_lock = from.lock(/*exclusive=*/false);
  if (!from_lock) return std::unexpected(from_lock.error());
  auto to_lock = to.lock(/*exclusive=*/false);
  if (!to_lock) return std::unexpected(to_lock.error());

  auto source = from.snapshots(options.node);
  if (!source) return std::unexpected(source.error());
  auto present = to.snapshots(options.node);
  if (!present) return std::unexpected(present.error());
  std::set<std::pair<std::string, std::string>> have;
  for (const auto& r : *present) have.emplace(r.node, r.id);

  CopyReport report;
  std::vector<SnapshotRecord> missing;
  for (const auto& r : *source) {
    if (r.partial) continue;
    if (have.contains({r.node, r.id})) {
      ++report.snapshots_present;
    } else {
      missing.push_back(r);
    }
  }
  if (missing.empty()) return report;
  auto blobs = reachable_blobs(from, missing);
  if (!blobs) return std::unexpected(blobs.error());
  if (auto r = copy_blobs(from, to, *blobs, *to_lock, options, report); !r) {
    return std::unexpected(r.error());
  }
  for (const auto& record : missing) {
    if (report.interrupted || stop_requested(options)) {
      report.interrupted = true;
      break;
    }
    if (auto r = to_lock->check(); !r) return std::unexpected(r.error());
    if (auto r = to.write_snapshot(record); !r) return std::unexpected(r.error());
    ++report.snapshots_copied;
  }
  return report;
}

std::string copy_summary(const CopyReport& report) {
  return "copy: " + std::to_string(report.snapshots_copied) + " snapshots copied (" +
         std::to_string(report.snapshots_present) + " already there), " +
         std::to_string(report.blobs_copied) + " blobs, " + format_bytes(report.bytes_copied) +
         (report.interrupted ? " (interrupted)" : "");
}

}  // namespace nb::repo
