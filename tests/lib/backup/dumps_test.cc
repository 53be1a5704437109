// Dumps (backup/dumps.h): a command's standard output stored as a file of the snapshot's
// reserved root, through the same reader, chunker and batch as file content, on every kind of
// node (local, and over the test sshd by the exec and sftp transports).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "backup/dumps.h"
#include "config/config.h"
#include "repo/browse.h"
#include "repo/chunk_list.h"
#include "repo/file_content.h"
#include "support/backup_fixture.h"
#include "util/file.h"
#include "util/hash.h"

using namespace nb;
using namespace nb::test;

namespace {

const NodeUnderTest& pick_node() {
  static const auto nodes = nodes_under_test();
  const auto i = GENERATE(range(size_t{0}, nodes_under_test().size()));
  return nodes[i];
}

// Counts what a NodeFs hands to a stream_command sink, and how large a piece it ever handed.
class StreamCountingFs final : public fs::FsWrapper {
 public:
  using fs::FsWrapper::FsWrapper;
  Result<CommandOutcome> stream_command(const std::string& command, std::chrono::seconds timeout,
                                        const OutputSink& out,
                                        const std::function<bool()>& cancelled) override {
    return target().stream_command(
        command, timeout,
        [&](std::string_view piece) {
          ++pieces;
          largest = std::max(largest, piece.size());
          return out(piece);
        },
        cancelled);
  }
  size_t pieces = 0;
  size_t largest = 0;
};

// A file beside the node's tree (not in it: its content must reach the repository through the
// dump alone), readable by the ssh test user.
std::string dump_source(BackupFixture& fx, const std::string& content) {
  const std::string path = fx.world->path("") + "/../dump-source";
  write_file(path, content);
  return path;
}

std::string content_of(BackupFixture& fx, const repo::TreeEntry& entry) {
  std::string out;
  auto r = repo::read_file_content(*fx.repo, entry, "dump", [&](std::string_view chunk) {
    out.append(chunk);
    return Result<>{};
  });
  REQUIRE(r);
  return out;
}

Result<repo::TreeEntry> dump_entry(BackupFixture& fx, const std::string& name,
                                   const std::string& snapshot = "latest") {
  auto record = fx.repo->find_snapshot("01_node", snapshot);
  REQUIRE(record);
  std::string path(backup::kDumpRoot);
  path.append("/").append(name);
  return repo::find_entry(*fx.repo, *record, path);
}

}  // namespace

TEST_CASE("the config's reserved dump root is the job's", "[dumps]") {
  CHECK(config::kDumpRoot == backup::kDumpRoot);
}

TEST_CASE("a dump is stored in the snapshot, and an unchanged dump stores nothing new", "[dumps]") {
  const auto& node = pick_node();
  INFO("node filesystem: " << node.name);
  BackupFixture fx(node);
  fx.make_files(3);
  const std::string data = random_bytes(3 << 20, 7);
  const std::string source = dump_source(fx, data);
  fx.options.dumps = {{"db.sql", "cat '" + source + "'", std::chrono::seconds(60)}};

  const uint64_t empty_repo = fx.repo_bytes();
  const auto first = fx.run();
  REQUIRE(first.ok);
  CHECK(first.failed_dumps.empty());
  CHECK(first.counts.bytes_stored >= data.size());  // the dump's content, and the files'
  CHECK(fx.repo_bytes() - empty_repo >= data.size());
  auto entry = dump_entry(fx, "db.sql");
  REQUIRE(entry);
  CHECK(entry->size == data.size());
  CHECK(entry->mode == 0600);
  CHECK(content_of(fx, *entry) == data);

  const uint64_t before = fx.repo_bytes();
  const auto second = fx.run();
  REQUIRE(second.ok);
  CHECK(second.counts.bytes_read == data.size());  // a dump is always run and read...
  CHECK(second.counts.bytes_stored == 0);          // ...and stores nothing it had
  CHECK(fx.repo_bytes() - before <= 4096);         // the snapshot record, nothing else
  auto again = dump_entry(fx, "db.sql");
  REQUIRE(again);
  CHECK(again->mtime_ns == entry->mtime_ns);  // the content's first appearance
  auto records = fx.repo->snapshots("01_node");
  REQUIRE(records);
  REQUIRE(records->size() == 2);
  const auto dump_root = [](const repo::SnapshotRecord& r) { return backup::dump_root_of(r); };
  REQUIRE(dump_root((*records)[0]));
  CHECK(dump_root((*records)[0])->tree == dump_root((*records)[1])->tree);

  // One changed byte in the middle stores about a chunk, not the dump again.
  std::string changed = data;
  changed[changed.size() / 2] ^= 0x55;
  write_file(source, changed);
  const auto third = fx.run();
  REQUIRE(third.ok);
  CHECK(third.counts.bytes_stored > 0);
  CHECK(third.counts.bytes_stored < data.size() / 4);
  auto third_entry = dump_entry(fx, "db.sql");
  REQUIRE(third_entry);
  CHECK(content_of(fx, *third_entry) == changed);
}

TEST_CASE("a failing dump is reported with its stderr and left out, and the rest commits",
          "[dumps]") {
  const auto& node = pick_node();
  INFO("node filesystem: " << node.name);
  BackupFixture fx(node);
  fx.make_files(2);
  fx.options.dumps = {
      {"good.txt", "echo good", std::chrono::seconds(60)},
      {"bad.sql", "echo half a dump; echo 'pg_dumpall: connection refused' >&2; exit 3",
       std::chrono::seconds(60)}};
  const auto run = fx.run();
  CHECK_FALSE(run.ok);
  REQUIRE(run.error);
  CHECK_THAT(run.error->message(), Catch::Contains("bad.sql"));
  CHECK_THAT(run.error->message(), Catch::Contains("exit status 3"));
  CHECK_THAT(run.error->message(), Catch::Contains("pg_dumpall: connection refused"));
  CHECK_FALSE(run.error->transient());  // no quick retry: it would run every dump again
  REQUIRE(run.failed_dumps.size() == 1);
  CHECK(run.failed_dumps[0].name == "bad.sql");
  CHECK(run.counts.errors == 1);
  CHECK(run.committed);

  // The snapshot was committed, is complete for the files and the good dump, names the
  // failure, and holds no part of the failed dump.
  REQUIRE_FALSE(run.snapshot_id.empty());
  auto record = fx.repo->find_snapshot("01_node", "latest");
  REQUIRE(record);
  CHECK(record->id == run.snapshot_id);
  CHECK_FALSE(record->partial);
  REQUIRE(record->failed_dumps.size() == 1);
  CHECK_THAT(record->failed_dumps[0].error, Catch::Contains("connection refused"));
  CHECK(repo::find_entry(*fx.repo, *record, fx.file("f1")));
  auto good = dump_entry(fx, "good.txt");
  REQUIRE(good);
  CHECK(content_of(fx, *good) == "good\n");
  auto bad = dump_entry(fx, "bad.sql");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code() == ENOENT);
  CHECK(fx.entry(fx.file("f1")));  // the files were written back

  // Fixed, it is back on the next run; an earlier good dump is never carried into a snapshot
  // whose run failed to take it.
  fx.options.dumps[1].command = "echo whole dump";
  const auto fixed = fx.run();
  REQUIRE(fixed.ok);
  auto now_good = dump_entry(fx, "bad.sql");
  REQUIRE(now_good);
  CHECK(content_of(fx, *now_good) == "whole dump\n");
  fx.options.dumps[1].command = "exit 1";
  REQUIRE_FALSE(fx.run().ok);
  CHECK_FALSE(dump_entry(fx, "bad.sql"));
}

TEST_CASE("a dump that outlives its timeout is killed and reported", "[dumps]") {
  const auto& node = pick_node();
  INFO("node filesystem: " << node.name);
  BackupFixture fx(node);
  fx.make_files(1);
  fx.options.dumps = {{"slow.sql", "echo started; exec sleep 600", std::chrono::seconds(1)}};
  const auto run = fx.run();
  CHECK_FALSE(run.ok);
  REQUIRE(run.failed_dumps.size() == 1);
  CHECK_THAT(run.failed_dumps[0].error, Catch::Contains("timed out"));
  CHECK_FALSE(dump_entry(fx, "slow.sql"));
  // The node is still usable afterwards (a remote node's connection is reopened).
  fx.options.dumps[0].command = "echo quick";
  REQUIRE(fx.run().ok);
  CHECK(dump_entry(fx, "slow.sql"));
}

TEST_CASE("a large dump streams through in pieces and is stored as many chunks", "[dumps]") {
  const auto& node = pick_node();
  INFO("node filesystem: " << node.name);
  BackupFixture fx(node);
  fx.make_files(1);
  // ~39 MiB of text made on the node: nothing of it exists as a file on either side.
  fx.options.dumps = {{"big.txt", "seq 1 5000000", std::chrono::seconds(300)}};
  StreamCountingFs counting(*fx.fs);
  const auto run =
      backup::BackupJob("01_node", {fx.src}, fx.options).run(counting, fx.store, *fx.repo);
  REQUIRE(run.ok);
  auto entry = dump_entry(fx, "big.txt");
  REQUIRE(entry);
  CHECK(entry->size == 38888896);  // bytes of `seq 1 5000000`
  // Handed over a pipe's or a channel's worth at a time, never whole...
  CHECK(counting.largest <= (1u << 20));
  CHECK(counting.pieces >= entry->size / (1u << 20));
  // ...and cut into content-defined chunks, with the chunk list in pieces.
  auto chunks = repo::file_chunks(*fx.repo, *entry);
  REQUIRE(chunks);
  CHECK(chunks->size() >= entry->size / repo::ChunkSizes::kMax);
  CHECK(chunks->size() > 32);
  CHECK_FALSE(entry->chunk_lists.empty());
  Hasher whole;
  uint64_t n = 0;
  REQUIRE(repo::read_file_content(*fx.repo, *entry, "big.txt", [&](std::string_view chunk) {
    whole.update(chunk.data(), chunk.size());
    n += chunk.size();
    return Result<>{};
  }));
  CHECK(n == entry->size);
}

TEST_CASE("a node filesystem that cannot run commands fails the dump, not the run's files",
          "[dumps]") {
  BackupFixture fx("memory");
  fx.make_files(2);
  fx.options.dumps = {{"db.sql", "pg_dumpall", std::chrono::seconds(60)}};
  const auto run = fx.run();
  CHECK_FALSE(run.ok);
  REQUIRE(run.failed_dumps.size() == 1);
  CHECK_THAT(run.failed_dumps[0].error, Catch::Contains("cannot run commands"));
  auto record = fx.repo->find_snapshot("01_node", "latest");
  REQUIRE(record);
  CHECK(repo::find_entry(*fx.repo, *record, fx.file("f0")));
  CHECK_FALSE(backup::dump_root_of(*record));
}

TEST_CASE("a checkpoint during the read does not cost an unchanged dump its listing", "[dumps]") {
  BackupFixture fx(local_node());
  fx.make_files(4);
  fx.options.dumps = {{"db.sql", "echo the same rows", std::chrono::seconds(60)}};
  REQUIRE(fx.run().ok);
  auto first = fx.repo->find_snapshot("01_node", "latest");
  REQUIRE(first);

  // Every file read is followed by a checkpoint, a partial snapshot without the dumps, which
  // is the node's newest snapshot by the time the dumps run.
  for (int i = 0; i < 4; ++i) fx.write("f" + std::to_string(i), "changed " + std::to_string(i));
  fx.options.checkpoint_bytes = 1;
  fx.options.read_batch_files = 1;
  const auto second = fx.run();
  REQUIRE(second.ok);
  auto latest = fx.repo->find_snapshot("01_node", "latest");
  REQUIRE(latest);
  REQUIRE(backup::dump_root_of(*latest));
  CHECK(backup::dump_root_of(*latest)->tree == backup::dump_root_of(*first)->tree);
}

TEST_CASE("a dump that writes nothing is a failure, not an empty file", "[dumps]") {
  BackupFixture fx(local_node());
  fx.make_files(1);
  // What an account whose sshd forces internal-sftp does with any command: nothing, exit 0.
  fx.options.dumps = {{"db.sql", "echo 'only a warning' >&2", std::chrono::seconds(60)}};
  const auto run = fx.run();
  CHECK_FALSE(run.ok);
  CHECK(run.committed);
  REQUIRE(run.failed_dumps.size() == 1);
  CHECK_THAT(run.failed_dumps[0].error, Catch::Contains("nothing on standard output"));
  CHECK_THAT(run.failed_dumps[0].error, Catch::Contains("only a warning"));
  CHECK_FALSE(dump_entry(fx, "db.sql"));
}

TEST_CASE("a stop request ends a silent dump at once and the run stops at a checkpoint",
          "[dumps]") {
  const auto& node = pick_node();
  INFO("node filesystem: " << node.name);
  BackupFixture fx(node);
  fx.make_files(2);
  // The dump says it has started (a file appears), then waits, silent, far beyond the test's
  // patience: only the stop request, polled while it says nothing, can end it in time.
  // In a directory the ssh test user may write to.
  const std::string signals = fx.world->path("") + "/../signals";
  std::filesystem::create_directories(signals);
  std::filesystem::permissions(signals, std::filesystem::perms::all);
  const std::string started = signals + "/dump-started";
  // A remote command that says nothing is not signalled when its channel closes (README):
  // this one ends by itself once the test removes its file, rather than lingering on the
  // test sshd.
  fx.options.dumps = {{"locked.sql",
                       "touch '" + started + "'; while [ -e '" + started + "' ]; do sleep 1; done",
                       std::chrono::seconds(600)}};
  fx.options.stop_requested = [&] { return ::access(started.c_str(), F_OK) == 0; };
  const auto run = fx.run();
  std::filesystem::remove(started);
  CHECK(run.interrupted);
  CHECK_FALSE(run.ok);
  CHECK(run.failed_dumps.empty());  // abandoned, not failed
  auto record = fx.repo->find_snapshot("01_node", run.snapshot_id);
  REQUIRE(record);
  CHECK(record->partial);
  CHECK(repo::find_entry(*fx.repo, *record, fx.file("f1")));
  CHECK_FALSE(backup::dump_root_of(*record));
}
