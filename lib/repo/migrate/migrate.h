// migrate: converts a format-1 repository (nodebackup 0.1.0) to format 2 in place, keeping
// every snapshot with its id, times and counts.
//
// Crash-safe and resumable by its order. The format-2 config is first written as
// `config-2`, beside format 1's `config`, which stays: until the end the repository is
// format 1 to every reader (the daemon refuses it and names this command), and migrate run
// again picks up where it stopped. Each format-1 record is converted by writing its blobs
// into packs, one index file naming them, and then its format-2 record
// (snapshots/<node>/<id>, beside the old <id>.json); a record already converted is skipped.
// When every record is converted, `config` is replaced by the format-2 config in one durable
// put — the switch — and only then are `config-2` and the format-1 objects and records
// deleted; a crash during that clean-up leaves a format-2 repository with leftovers that
// migrate (run again) deletes. Content is re-chunked and re-hashed as it is converted; an
// object whose XXH3 does not match its name fails the migration before the switch.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "repo/repository.h"
#include "repo/storage/storage.h"

namespace nb::repo {

struct MigrateOptions {
  InitOptions init;  // for the format-2 config: encrypt, passphrase, kdf
  // The passphrase, when config-2 of an earlier, interrupted run says encrypted.
  std::function<Result<std::string>()> passphrase;
  FaultHook fault_hook;  // tests: crash points
};

struct MigrateReport {
  bool already_format2 = false;
  uint64_t snapshots_converted = 0;
  uint64_t snapshots_skipped = 0;  // converted by an earlier, interrupted run
  uint64_t objects_read = 0;
  uint64_t bytes_stored = 0;
  uint64_t leftovers_removed = 0;  // format-1 files deleted after the switch
};

// `open_storage` makes a Storage on the repository (called again after config-2 exists).
Result<MigrateReport> migrate(const std::function<std::unique_ptr<Storage>()>& open_storage,
                              const MigrateOptions& options);

}  // namespace nb::repo
