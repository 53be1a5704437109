// verify: the repository checks itself. With read_data every object is re-hashed and must
// match its name; always, every snapshot's references must resolve to objects that exist and
// listings that decode.
#pragma once

#include <string>
#include <vector>

#include "repo/repository.h"

namespace nb::repo {

struct VerifyOptions {
  bool read_data = true;
};

struct VerifyReport {
  uint64_t objects = 0;               // objects re-hashed
  uint64_t snapshots = 0;             // snapshot records checked
  uint64_t references = 0;            // distinct objects referenced
  std::vector<std::string> problems;  // each names snapshot, path and object where it applies
};

// Fails only when the repository cannot be read at all; problems are in the report.
Result<VerifyReport> verify(const Repository& repo, const VerifyOptions& options);

// Re-hashes one object file; false with a reason when it does not match its name.
Result<bool> object_intact(const Repository& repo, const Hash& hash, std::string& why);

}  // namespace nb::repo
