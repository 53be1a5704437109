// Copying snapshots to another repository (an off-site copy): every snapshot the target lacks,
// with the blobs it needs that the target lacks, so a second copy of an unchanged source sends
// nothing. Blobs are read (decrypted) from the source and sealed with the target's keys; their
// ids must be the same in both (two plain repositories, or two that share the id key), since
// listings name their children by id — a target whose ids differ is refused before anything
// is written.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "repo/repository.h"
#include "util/error.h"

namespace nb::repo {

struct CopyOptions {
  std::string node;  // empty: every node
  // Asked between blobs and between snapshot records (the daemon is stopping): the blobs
  // copied so far are committed, and the copy returns with `interrupted` set.
  std::function<bool()> stop_requested;
};

struct CopyReport {
  uint64_t snapshots_copied = 0;
  uint64_t snapshots_present = 0;  // already in the target
  uint64_t blobs_copied = 0;
  uint64_t bytes_copied = 0;  // plaintext bytes of the copied blobs
  bool interrupted = false;   // stopped on request; a re-run finishes it
};

// Holds both repositories' locks shared (as a backup does): a prune of either waits. Complete
// snapshots only (checkpoints stay behind). Blobs are committed before any snapshot record
// that needs them, so an interrupted copy leaves a target that verifies, and a re-run
// finishes it.
Result<CopyReport> copy_snapshots(Repository& from, Repository& to, const CopyOptions& options);

// "copy: 3 snapshots copied (2 already there), 120 blobs, 1.5 MiB"
std::string copy_summary(const CopyReport& report);

}  // namespace nb::repo
