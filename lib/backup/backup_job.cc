#include "backup/backup_job.h"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <unordered_map>
#include <unordered_set>

#include "backup/content_reader.h"
#include "backup/quick_check.h"
#include "backup/scan.h"
#include "backup/tree_builder.h"
#include "util/clock.h"

namespace nb::backup {

namespace {

// Per-file warnings beyond this many are summarised, so one broken directory cannot flood
// the journal.
constexpr size_t kMaxWarnings = 20;

using Kind = FileState::Kind;

// The process's resident set now (0 where /proc is not mounted): what each phase costs.
uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

// One execution of a BackupJob; holds everything the phases share.
class JobRun {
 public:
  JobRun(const std::string& node, const std::vector<std::string>& roots, const JobOptions& opts,
         fs::NodeFs& fs, store::HashStore& store, repo::Repository& repo)
      : node_(node),
        roots_(roots),
        opts_(opts),
        fs_(fs),
        store_(store),
        repo_(repo),
        caps_(fs.capabilities()),
        batch_(repo.new_batch()),
        reader_(*batch_, repo.keys(), caps_) {}

  JobResult run() {
    result_.started_ns = now_ns();
    last_commit_ns_ = result_.started_ns;
    auto status = execute();
    result_.finished_ns = now_ns();
    result_.counts.bytes_read = reader_.bytes_read();
    result_.counts.bytes_stored = reader_.bytes_stored();
    if (!status) {
      result_.error = status.error();
    } else {
      result_.ok = !result_.interrupted;
    }
    if (result_.ok && !result_.failed_dumps.empty()) fail_for_dumps();
    return std::move(result_);
  }

 private:
  Result<> execute() {
    auto lock = repo_.lock(/*exclusive=*/false);
    if (!lock) return std::unexpected(lock.error());
    lock_ = &*lock;
    repo_.prefetch_index();  // read on the other core while this one walks
    // The walk refers to the store's copies of the paths it already holds instead of copying
    // them: a node's paths are then in memory once, not twice.
    auto scan = scan_roots(fs_, roots_, opts_.scan, [this] {
      if (!paths_held_) paths_held_ = store_.entries_if_loaded(node_);
      return paths_held_.get();
    });
    if (!scan) return std::unexpected(scan.error());
    phase("walk");
    scan_ = std::move(*scan);
    tree_.emplace(scan_, repo_, caps_);
    for (const auto& problem : scan_.problems) warn(problem.message());
    result_.counts.errors += scan_.problems.size();
    prior_ = store_.entries(node_);  // shared, immutable: no copy
    auto to_read = plan();
    phase("quick check and prior snapshot");
    if (!opts_.dry_run) {
      if (auto r = read_extras(); !r) return r;
    }
    if (opts_.dry_run) {
      result_.counts.deleted = count_deletions();
      return {};
    }
    // One entry per file to read, allocated once: grown by doubling, the list of an initial
    // run held twice what it needed while it copied itself at the crossing.
    write_back_.updates.reserve(to_read.size());
    // Before any checkpoint of this run can become the node's newest snapshot.
    if (!opts_.dumps.empty()) previous_dumps_ = previous_dump_root();
    if (auto r = read_all(std::move(to_read)); !r) return r;
    phase("read");
    if (result_.interrupted) return commit(/*partial=*/true);
    if (auto r = run_dumps(); !r) return r;
    if (result_.interrupted) return commit(/*partial=*/true);
    if (auto r = commit(/*partial=*/false); !r) return r;
    result_.committed = true;
    phase("commit");
    drop_partials();
    return {};
  }

  // Decides for every scanned entry whether its content is already known: the quick check
  // against the hash store, then the chunk lists of the files that passed it, from the node's
  // newest snapshot (tree_builder.h).
  std::vector<size_t> plan() {
    files_.assign(scan_.size(), FileState{});
    std::vector<ReadReason> reasons(scan_.size(), ReadReason::none);
    std::vector<size_t> to_read;
    bool any_known = false;
    for (size_t i = 0; i < scan_.size(); ++i) {
      const auto type = scan_.type(i);
      if (type != FileType::regular) {
        const bool kept = type == FileType::directory || type == FileType::symlink ||
                          (caps_.specials && type != FileType::socket);
        result_.counts.skipped += kept ? 0 : 1;
        continue;
      }
      ++result_.counts.scanned;
      const auto prior = prior_->find(scan_.path(i));
      const store::Entry* entry = prior == prior_->end() ? nullptr : &prior->second;
      if (entry != nullptr) ++matched_;
      reasons[i] = read_reason(entry, scan_.meta(i), caps_, /*has_object=*/true);
      if (reasons[i] == ReadReason::none) {
        files_[i] = {Kind::known, false, entry->hash, {}};
        any_known = true;
      } else {
        files_[i].kind = Kind::pending;
        to_read.push_back(i);
      }
    }
    std::optional<repo::SnapshotRecord> newest;
    if (any_known) {
      auto record = repo_.newest_snapshot(node_);
      if (!record) {
        warn(record.error().message() + "; every file is read again");
      } else {
        newest = std::move(*record);
      }
    }
    std::vector<std::string> warnings;
    for (size_t i : tree_->align(newest, files_, warnings)) {
      files_[i].kind = Kind::pending;
      reasons[i] = ReadReason::missing_object;
      to_read.push_back(i);
    }
    for (const auto& w : warnings) warn(w);
    std::sort(to_read.begin(), to_read.end());  // in walk order, as the node listed them
    result_.counts.unchanged = result_.counts.scanned - to_read.size();
    if (opts_.dry_run) {
      for (size_t i : to_read) {
        result_.planned.push_back({std::string(scan_.path(i)), scan_.file_size(i), reasons[i]});
      }
    }
    result_.listings_kept = tree_->listings_kept();
    result_.listings_read = tree_->listings_read();
    spdlog::debug("{}: {} listings kept from the newest snapshot, {} read", node_,
                  result_.listings_kept, result_.listings_read);
    progress_.files_to_read = to_read.size();
    return to_read;
  }

  // The extended attributes and device numbers the newest snapshot could not vouch for.
  Result<> read_extras() {
    const auto& wanted = tree_->extras_wanted();
    if (wanted.empty()) return {};
    std::vector<std::string> paths;
    paths.reserve(wanted.size());
    for (size_t i : wanted) paths.emplace_back(scan_.path(i));
    std::unordered_map<std::string_view, size_t> index;
    for (size_t k = 0; k < wanted.size(); ++k) index.emplace(paths[k], wanted[k]);
    return fs_.read_extras(paths, [&](const std::string& path, Result<fs::Extras> extras) {
      const auto it = index.find(path);
      if (it == index.end()) return;
      if (!extras) {
        ++result_.counts.errors;
        warn(extras.error().message() + "; recorded without its extended attributes");
        return;
      }
      tree_->set_extras(it->second, std::move(*extras));
    });
  }

  Result<> read_all(std::vector<size_t> pending) {
    for (int attempt = 0; !pending.empty(); ++attempt) {
      const bool last_attempt = attempt >= opts_.unstable_retries;
      std::vector<size_t> unstable;
      for (size_t start = 0; start < pending.size(); start += opts_.read_batch_files) {
        const size_t end = std::min(pending.size(), start + opts_.read_batch_files);
        std::vector<size_t> batch(pending.begin() + start, pending.begin() + end);
        if (auto r = read_batch(batch, last_attempt, unstable); !r) return r;
        if (auto r = maybe_checkpoint(); !r) return r;
        if (result_.interrupted) return {};
      }
      pending = std::move(unstable);
    }
    return {};
  }

  Result<> read_batch(const std::vector<size_t>& batch, bool last_attempt,
                      std::vector<size_t>& unstable) {
    std::vector<std::string> paths;
    paths.reserve(batch.size());
    for (size_t i : batch) paths.emplace_back(scan_.path(i));
    auto r = fs_.read_files(paths, reader_);
    if (reader_.storage_error()) return std::unexpected(*reader_.storage_error());
    if (!r) return r;
    auto outcomes = reader_.take_outcomes();
    for (size_t k = 0; k < batch.size(); ++k) {
      const size_t i = batch[k];
      auto it = outcomes.find(paths[k]);
      if (it == outcomes.end()) {
        return fail("read", paths[k], 0, "the node's filesystem skipped the file");
      }
      if (!it->second.stable && it->second.ok && !last_attempt) {
        unstable.push_back(i);
        continue;
      }
      settle(i, it->second);
    }
    progress_.files_read += batch.size();
    progress_.bytes_read = reader_.bytes_read();
    if (opts_.progress) opts_.progress(progress_);
    return {};
  }

  // Records the final outcome of reading file `i` and counts it.
  void settle(size_t i, ReadOutcome& outcome) {
    const std::string path(scan_.path(i));
    if (!outcome.ok) {
      files_[i].kind = Kind::failed;
      ++result_.counts.errors;
      result_.not_written_back.push_back(path);
      warn(outcome.error->message());
      return;
    }
    files_[i] = {Kind::known, false, outcome.hash, std::move(outcome.content)};
    if (caps_.xattrs) tree_->set_extras(i, {std::move(outcome.done.xattrs), 0});
    auto after = outcome.done.after;
    after.size = outcome.bytes;
    scan_.set_meta(i, after);
    const auto prior = prior_->find(path);
    const bool trusted = prior != prior_->end() && prior->second.trusted;
    if (!trusted) {
      ++result_.counts.added;
    } else if (prior->second.hash == outcome.hash) {
      ++result_.counts.touched;
      result_.touched.push_back(path);
    } else {
      ++result_.counts.changed;
    }
    if (!outcome.stable) {
      result_.not_written_back.push_back(path);
      warn(path + " kept changing while being read: stored, but read again next run");
      return;
    }
    bytes_since_commit_ += outcome.bytes;
    write_back_.updates.emplace_back(
        scan_.path(i),
        entry_for_read(outcome.hash, outcome.done.after, caps_, outcome.done.read_time_ns));
  }

  // The dumps' root in the node's newest snapshot: an unchanged dump keeps its mtime there.
  std::optional<repo::TreeEntry> previous_dump_root() {
    auto newest = repo_.newest_snapshot(node_);
    if (!newest || !*newest) return std::nullopt;
    return dump_root_of(**newest);
  }

  // The node's dumps, after its files.
  Result<> run_dumps() {
    if (opts_.dumps.empty()) return {};
    dumps_.emplace(node_, fs_, reader_, std::move(previous_dumps_));
    auto r = dumps_->run(opts_.dumps, repo_, result_.started_ns, opts_.stop_requested);
    if (dumps_->stopped()) result_.interrupted = true;
    result_.counts.errors += dumps_->failures().size();
    result_.failed_dumps = dumps_->failures();
    phase("dumps");
    return r;
  }

  // A run whose dump failed committed everything else, and says so as a failure.
  void fail_for_dumps() {
    const auto& first = result_.failed_dumps.front();
    std::string detail = first.error;
    if (result_.failed_dumps.size() > 1) {
      detail += " (and " + std::to_string(result_.failed_dumps.size() - 1) + " more dumps)";
    }
    detail += "; snapshot " + result_.snapshot_id + " holds the files without it";
    result_.ok = false;
    // Permanent, for the scheduler: a quick retry would run every dump again (hours of
    // pg_dumpall for one broken dump beside it), and the files are safe; the node's next
    // regular run tries again.
    result_.error = Error("dump", first.name, 0, detail, /*transient=*/false);
  }

  Result<> maybe_checkpoint() {
    const bool stop = opts_.stop_requested && opts_.stop_requested();
    const int64_t elapsed = now_ns() - last_commit_ns_;
    const bool due = bytes_since_commit_ >= opts_.checkpoint_bytes ||
                     elapsed >= std::chrono::nanoseconds(opts_.checkpoint_interval).count();
    if (stop) result_.interrupted = true;
    if (!due || stop) return {};  // a stop commits once, in execute()
    return commit(/*partial=*/true);
  }

  // Objects durable → snapshot record durable → write-back. Nothing is written back before
  // the repository holds what it describes.
  Result<> commit(bool partial) {
    auto roots = tree_->build(files_, *batch_);
    if (!roots) return std::unexpected(roots.error());
    std::vector<repo::DumpFailure> failed_dumps;
    if (dumps_) {
      auto dump_root = dumps_->build(*batch_);
      if (!dump_root) return std::unexpected(dump_root.error());
      if (*dump_root) roots->push_back(std::move(**dump_root));
      failed_dumps = dumps_->failures();
    }
    // A lease that may have lapsed could have let a prune delete packs this run wrote: name
    // none of them in an index, and write nothing back.
    if (auto r = lock_->check(); !r) return r;
    if (auto r = batch_->commit(); !r) return r;
    if (auto r = lock_->check(); !r) return r;
    repo::SnapshotRecord record;
    record.id = repo::new_snapshot_id(now_ns());
    record.node = node_;
    record.started_ns = result_.started_ns;
    record.finished_ns = now_ns();
    record.partial = partial;
    record.counts = result_.counts;
    record.counts.bytes_read = reader_.bytes_read();
    record.counts.bytes_stored = reader_.bytes_stored();
    if (!partial) record.counts.deleted = count_deletions();
    record.roots = std::move(*roots);
    record.failed_dumps = std::move(failed_dumps);
    if (auto r = repo_.write_snapshot(record); !r) return r;
    result_.snapshot_id = record.id;
    if (partial) partial_ids_.push_back(record.id);
    result_.counts.deleted = record.counts.deleted;
    store_.write_back(node_, write_back_);
    write_back_ = {};
    bytes_since_commit_ = 0;
    last_commit_ns_ = now_ns();
    return {};
  }

  // Store entries whose file the walk did not find: gone from the node (or excluded now).
  uint64_t count_deletions() {
    if (matched_ == prior_->size()) return 0;  // the common case: nothing went away
    std::unordered_set<std::string_view> found;
    for (size_t i = 0; i < scan_.size(); ++i) {
      if (scan_.type(i) == FileType::regular) found.insert(scan_.path(i));
    }
    for (const auto& [path, entry] : *prior_) {
      if (!found.contains(path)) write_back_.removals.emplace_back(path);
    }
    return write_back_.removals.size();
  }

  // The checkpoints of a run that completed are superseded by its final snapshot.
  void drop_partials() {
    for (const auto& id : partial_ids_) {
      if (auto r = repo_.remove_snapshot(node_, id); !r) warn(r.error().message());
    }
  }

  // Where a run's time goes, for `--log-level debug`.
  void phase(const char* name) {
    const int64_t now = now_ns();
    spdlog::debug("{}: {} took {:.3f}s, RSS {:.1f} MiB", node_, name,
                  static_cast<double>(now - phase_start_) / 1e9,
                  static_cast<double>(resident_bytes()) / (1 << 20));
    phase_start_ = now;
  }

  void warn(const std::string& message) {
    if (warnings_++ < kMaxWarnings) {
      spdlog::warn("{}: {}", node_, message);
    } else if (warnings_ == kMaxWarnings + 1) {
      spdlog::warn("{}: further warnings of this run are not logged", node_);
    }
  }

  const std::string& node_;
  const std::vector<std::string>& roots_;
  const JobOptions& opts_;
  fs::NodeFs& fs_;
  store::HashStore& store_;
  repo::Repository& repo_;
  fs::Capabilities caps_;
  std::unique_ptr<repo::BlobBatch> batch_;
  const repo::RepoLock* lock_ = nullptr;  // execute()'s, held while it runs
  ContentReader reader_;
  std::optional<repo::TreeEntry> previous_dumps_;
  std::optional<DumpPhase> dumps_;  // once the dumps ran

  JobResult result_;
  Scan scan_;
  std::optional<TreeBuilder> tree_;  // over scan_
  std::shared_ptr<const store::NodeEntries> prior_;
  std::shared_ptr<const store::NodeEntries> paths_held_;  // scan_ refers to its paths
  std::vector<FileState> files_;
  size_t matched_ = 0;  // prior entries whose file the walk found
  store::WriteBack write_back_;
  std::vector<std::string> partial_ids_;
  Progress progress_;
  uint64_t bytes_since_commit_ = 0;
  int64_t last_commit_ns_ = 0;
  size_t warnings_ = 0;
  int64_t phase_start_ = now_ns();
};

}  // namespace

JobResult BackupJob::run(fs::NodeFs& fs, store::HashStore& store, repo::Repository& repo) {
  JobResult result = JobRun(node_, roots_, options_, fs, store, repo).run();
  if (options_.dry_run) {
    if (!result.ok) spdlog::warn("{} diff failed: {}", node_, result.error->message());
  } else if (result.ok) {
    spdlog::info("{}", summary_line(node_, result));
  } else if (result.committed) {
    spdlog::error("{} backup complete but a dump failed: {}: {}", node_, summary_counts(result),
                  result.error->message());
  } else if (result.interrupted) {
    spdlog::warn("{} backup interrupted at a checkpoint: {}", node_, summary_counts(result));
  } else {
    spdlog::error("{} backup failed: {}", node_, result.error->message());
  }
  return result;
}

std::string summary_line(const std::string& node, const JobResult& r) {
  return node + " backup complete: " + summary_counts(r);
}

std::string summary_counts(const JobResult& r) {
  const auto& c = r.counts;
  const double secs = static_cast<double>(r.finished_ns - r.started_ns) / 1e9;
  return fmt::format(
      "{} scanned, {} unchanged, {} touched, {} changed, {} new, "
      "{} deleted, {} skipped, {} errors, {} read, {} stored in {:.2f}s (snapshot {})",
      c.scanned, c.unchanged, c.touched, c.changed, c.added, c.deleted, c.skipped, c.errors,
      format_bytes(c.bytes_read), format_bytes(c.bytes_stored), secs, r.snapshot_id);
}

}  // namespace nb::backup
