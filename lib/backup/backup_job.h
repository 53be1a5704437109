// BackupJob: the one diff-and-write-back path (DESIGN §3), for every kind of node. It walks
// the node, reads only what the quick check cannot vouch for, stores new content, and commits
// in the order that makes a crash safe: objects durable → snapshot record durable → only then
// the new entries written back into the hash store. Write-back is part of the job, never of
// its caller, so no kind of node can skip it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "backup/dumps.h"
#include "backup/quick_check.h"
#include "backup/scan.h"
#include "fs/node_fs.h"
#include "repo/repository.h"
#include "store/hash_store.h"

namespace nb::backup {

struct Progress {
  uint64_t files_to_read = 0;
  uint64_t files_read = 0;
  uint64_t bytes_read = 0;
};

struct JobOptions {
  ScanRules scan;  // what the walk leaves out
  // A long run commits (objects, partial snapshot, write-back) after this much content...
  uint64_t checkpoint_bytes = uint64_t{1} << 30;
  // ...or this long after its last commit, so an interrupted run does not start from zero.
  std::chrono::seconds checkpoint_interval{300};
  // Files handed to the filesystem in one read_files() call: large enough that a remote
  // filesystem keeps its pipeline full (one tar stream, many requests in flight), small enough
  // that checkpoints and stop requests are honoured often.
  size_t read_batch_files = 4096;
  // How often a file that changed while being read is read again.
  int unstable_retries = 2;
  // Polled between read batches: when true the job stops at a checkpoint.
  std::function<bool()> stop_requested;
  std::function<void(const Progress&)> progress;
  // Run after the files are read, one after the other, into the snapshot's kDumpRoot
  // (dumps.h). Dry runs do not run them.
  std::vector<Dump> dumps;
  // Walk and quick check only: report in JobResult::planned what a run would read, and read,
  // store and write back nothing (`nodebackupctl diff`).
  bool dry_run = false;
};

// A file a run would read, and why (dry runs).
struct PlannedRead {
  std::string path;
  uint64_t size = 0;
  ReadReason reason = ReadReason::none;
};

struct JobResult {
  bool ok = false;
  std::optional<Error> error;  // why the job failed (nothing uncommitted was written back)
  bool interrupted = false;    // stopped early on request, after a checkpoint
  // The run's final, complete snapshot was written. Not the same as `ok`: a run whose dump
  // failed commits the files and the other dumps, and is not ok.
  bool committed = false;
  repo::RunCounts counts;
  int64_t started_ns = 0;
  int64_t finished_ns = 0;
  std::string snapshot_id;  // of the last snapshot written, partial or not
  // Regular files seen by the walk whose entry was not written back (unreadable, changing
  // while read): the next run reads them again.
  std::vector<std::string> not_written_back;
  // Files read again whose content turned out unchanged ("touched").
  std::vector<std::string> touched;
  std::vector<PlannedRead> planned;  // dry runs only
  // Dumps whose command failed. The run still committed its snapshot (snapshot_id), with the
  // files and the other dumps, but is not ok: `error` names the first failed dump.
  std::vector<repo::DumpFailure> failed_dumps;
  // Listings of the node's newest snapshot kept whole (nothing below them looked at), and
  // old listings read for the chunk lists of a changed directory (tree_builder.h).
  size_t listings_kept = 0;
  size_t listings_read = 0;
};

class BackupJob {
 public:
  BackupJob(std::string node, std::vector<std::string> roots, JobOptions options = {})
      : node_(std::move(node)), roots_(std::move(roots)), options_(std::move(options)) {}

  JobResult run(fs::NodeFs& fs, store::HashStore& store, repo::Repository& repo);

 private:
  std::string node_;
  std::vector<std::string> roots_;
  JobOptions options_;
};

// "01_node backup complete: 10 scanned, 9 unchanged, ..." — the one summary line of a run.
std::string summary_line(const std::string& node, const JobResult& result);
// The counts part of it: "10 scanned, 9 unchanged, ...".
std::string summary_counts(const JobResult& result);

}  // namespace nb::backup
