// Dumps: commands run on the node whose standard output is stored as a file of the snapshot
// (`pg_dumpall`, `mysqldump`, `slapcat`). The output streams from NodeFs::stream_command —
// locally or over the node's SSH connection, the same call for every kind of node — into the
// job's ContentReader, so it is hashed, chunked and deduplicated exactly as a file's content
// is: an unchanged dump stores no new chunk, and nothing holds a dump whole.
//
// Where they live: every dump of a run is an entry of one reserved snapshot root,
// kDumpRoot ("/.nodebackup-dumps/postgres.sql"), a directory like any other, so `ls`,
// `restore`, `cat`, `changes` and the dashboard's browser reach it without knowing about dumps.
//
// A dump whose command fails (non-zero exit, killed, timed out, could not start, or exited 0
// having written nothing) is left out of the snapshot — never stored truncated — and reported with
// its stderr: the job still commits the files and the other dumps, then reports the run as failed
// (backup_job.h).
//
// A dump has no mtime and no hash-store entry: it is run and read every time. Its entry's mtime
// is the start of the first run that produced this content (kept from the previous snapshot
// while the content is the same), so an unchanged dump also keeps its listing's bytes and id.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backup/content_reader.h"
#include "fs/node_fs.h"
#include "repo/repository.h"

namespace nb::backup {

inline constexpr std::string_view kDumpRoot = "/.nodebackup-dumps";

struct Dump {
  std::string name;     // one path component: the file's name below kDumpRoot
  std::string command;  // a shell command line, run on the node
  std::chrono::seconds timeout{std::chrono::hours(6)};
};

// One run's dumps, read through the job's reader and turned into the kDumpRoot root.
class DumpPhase {
 public:
  // `previous`: kDumpRoot's entry in the node's newest snapshot, if it had one (for mtimes).
  DumpPhase(const std::string& node, fs::NodeFs& fs, ContentReader& reader,
            std::optional<repo::TreeEntry> previous)
      : node_(node), fs_(fs), reader_(reader), previous_(std::move(previous)) {}

  // Runs every dump in turn. A failing dump is recorded in failures() and the others go on;
  // only a failure to store (reader.storage_error()) fails the phase, and with it the job.
  // When `stop_requested` (may be empty) turns true, the dump running is abandoned (neither
  // stored nor a failure), the rest are not run, and stopped() says so.
  Result<> run(const std::vector<Dump>& dumps, const repo::Repository& repo, int64_t now_ns,
               const std::function<bool()>& stop_requested);
  bool stopped() const { return stopped_; }

  // kDumpRoot with the dumps that succeeded, their listing stored through `batch`; nullopt
  // when none did.
  Result<std::optional<repo::SnapshotRoot>> build(repo::BlobBatch& batch) const;

  const std::vector<repo::DumpFailure>& failures() const { return failures_; }

 private:
  Result<> run_one(const Dump& dump, const std::function<bool()>& stop_requested);
  void fail_dump(const Dump& dump, const std::string& why, const std::string& stderr_text);

  const std::string& node_;
  fs::NodeFs& fs_;
  ContentReader& reader_;
  std::optional<repo::TreeEntry> previous_;
  std::optional<repo::Tree> previous_tree_;
  int64_t now_ns_ = 0;
  struct Stored {
    repo::TreeEntry entry;  // without its chunks
    std::vector<repo::BlobId> chunks;
  };
  std::vector<Stored> stored_;
  std::vector<repo::DumpFailure> failures_;
  bool stopped_ = false;
};

// kDumpRoot's entry in `record`, if it has one.
std::optional<repo::TreeEntry> dump_root_of(const repo::SnapshotRecord& record);

}  // namespace nb::backup
