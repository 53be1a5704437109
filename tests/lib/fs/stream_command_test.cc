// NodeFs::stream_command, the way a dump reaches the job, held against every node filesystem
// that can run commands (local, and sftp and exec over the test sshd): stdout arrives exactly
// and apart from stderr, the exit is told, and a sink that refuses data stops the command.
#include <catch2/catch.hpp>

#include "support/fs_world.h"

using namespace nb;
using namespace nb::test;

namespace {

const NodeUnderTest& pick_node() {
  static const auto nodes = nodes_under_test();
  const auto i = GENERATE(range(size_t{0}, nodes_under_test().size()));
  return nodes[i];
}

struct Streamed {
  Result<CommandOutcome> outcome = CommandOutcome{};
  std::string out;
};

Streamed stream(fs::NodeFs& fs, const std::string& command,
                std::chrono::seconds timeout = std::chrono::seconds(60)) {
  Streamed s;
  s.outcome = fs.stream_command(command, timeout,
                                [&](std::string_view piece) {
                                  s.out.append(piece);
                                  return Result<>{};
                                },
                                {});
  return s;
}

}  // namespace

TEST_CASE("stream_command hands over stdout exactly, stderr apart, and the exit", "[fs][dumps]") {
  const auto& node = pick_node();
  INFO("node filesystem: " << node.name);
  auto fs = node.make();

  // Bytes, NUL and all, and stderr kept out of the content.
  auto s = stream(*fs, "printf 'a\\000b\\nline two\\n'; echo warning >&2");
  REQUIRE(s.outcome);
  CHECK(s.outcome->ok());
  CHECK(s.out == std::string("a\0b\nline two\n", 13));
  CHECK(s.outcome->output == "warning\n");

  auto failed = stream(*fs, "echo partial; echo 'no such database' >&2; exit 4");
  REQUIRE(failed.outcome);
  CHECK_FALSE(failed.outcome->ok());
  CHECK(failed.outcome->exit_code == 4);
  CHECK(failed.outcome->output == "no such database\n");

  // More than any pipe or channel window holds, in order.
  auto big = stream(*fs, "seq 1 300000");
  REQUIRE(big.outcome);
  CHECK(big.outcome->ok());
  CHECK(big.out.size() == 1'988'895);  // bytes of `seq 1 300000`
  CHECK(big.out.ends_with("\n299999\n300000\n"));

  // The same filesystem goes on working after each of them.
  auto after = stream(*fs, "echo still here");
  REQUIRE(after.outcome);
  CHECK(after.out == "still here\n");
}

TEST_CASE("a sink that refuses data stops the command and its error is returned", "[fs][dumps]") {
  const auto& node = pick_node();
  INFO("node filesystem: " << node.name);
  auto fs = node.make();
  size_t seen = 0;
  // `yes` never ends: only the refusal can end this call before its timeout, which would
  // report timed_out instead of the sink's error.
  auto r = fs->stream_command("yes", std::chrono::seconds(120),
                              [&](std::string_view piece) {
                                seen += piece.size();
                                if (seen > (1u << 20))
                                  return Result<>(fail("store", "repo", ENOSPC));
                                return Result<>{};
                              },
                              {});
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == ENOSPC);
  auto after = stream(*fs, "echo next");
  REQUIRE(after.outcome);
  CHECK(after.out == "next\n");
}

TEST_CASE("a local dump's leftover background process does not hold the dump open", "[fs][dumps]") {
  auto fs = local_node().make();
  // Without the kill of its group the call would wait for `sleep` (its stdout is the pipe)
  // until the 300 s timeout, and report timed_out instead of the exit.
  auto s = stream(*fs, "echo rows; sleep 600 & echo done", std::chrono::seconds(300));
  REQUIRE(s.outcome);
  CHECK_FALSE(s.outcome->timed_out);
  CHECK(s.outcome->ok());
  CHECK(s.out == "rows\ndone\n");
}
