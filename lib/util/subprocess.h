// Running a local program with a deadline: the command notification target, local hooks and
// local dumps.
// The program gets its own process group, so a timeout kills whatever it started too, and its
// output is captured (capped) for the log rather than mixed into the daemon's stderr.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace nb {

struct CommandOutcome {
  int exit_code = -1;  // -1 when a signal ended it
  int signal = 0;
  bool timed_out = false;  // killed at the deadline (or cancelled)
  std::string output;      // stdout and stderr together, at most kMaxCommandOutput bytes
  bool ok() const { return exit_code == 0 && !timed_out; }
  // "exit status 3", "killed by signal 9", "timed out after 5s and was killed"
  std::string describe() const;
};

inline constexpr size_t kMaxCommandOutput = 64 * 1024;

// Runs argv (argv[0] a path) with this process's environment plus `env` ("NAME=value", which
// override), `input` on its stdin. Kills its process group at `timeout`, or when `cancelled`
// (may be empty) turns true. Fails only when the program cannot be started.
Result<CommandOutcome> run_command(const std::vector<std::string>& argv,
                                   const std::vector<std::string>& env, const std::string& input,
                                   std::chrono::milliseconds timeout,
                                   const std::function<bool()>& cancelled = {});

// Where a streamed command's standard output goes, a pipe's worth at a time as it arrives. An
// error stops the command: it is killed and the error returned.
using OutputSink = std::function<Result<>(std::string_view)>;

// Runs argv as run_command does, with nothing on its stdin, handing its standard output to
// `out` as it arrives (never held whole: a dump may be larger than memory) and capturing its
// standard error, capped, in the outcome's `output`. Once the program exits, what it left in
// its process group is killed and the output read to its end (until the deadline, should
// something outside the group still hold it). When `cancelled` (may be empty) turns true —
// polled while the program is silent too — it is killed and an ECANCELED error returned.
Result<CommandOutcome> stream_command(const std::vector<std::string>& argv,
                                      std::chrono::milliseconds timeout, const OutputSink& out,
                                      const std::function<bool()>& cancelled);

}  // namespace nb
