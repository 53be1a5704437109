#include "backup/dumps.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "repo/browse.h"
#include "repo/chunk_list.h"
#include "util/json_text.h"

namespace nb::backup {

namespace {

// What the report and the snapshot record keep of a command's stderr: its end, where the
// reason usually is, on one line.
constexpr size_t kStderrInReport = 512;

std::string stderr_tail(const std::string& text) {
  std::string tail =
      text.size() > kStderrInReport ? "…" + text.substr(text.size() - kStderrInReport) : text;
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
  std::replace(tail.begin(), tail.end(), '\n', ' ');
  return printable(tail);  // it travels in JSON (the record, status, notifications)
}

// A dump's stderr, a line each, up to a limit: pg_dump's verbose mode must not flood the journal.
void log_stderr(const std::string& node, const std::string& name, const std::string& text,
                spdlog::level::level_enum level) {
  constexpr int kMaxLines = 20;
  int lines = 0;
  size_t start = 0;
  while (start < text.size()) {
    if (lines++ == kMaxLines) {
      spdlog::log(level, "{}: dump {}: further stderr lines are not logged", node, name);
      return;
    }
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) {
      spdlog::log(level, "{}: dump {}: {}", node, name, printable(text.substr(start, end - start)));
    }
    start = end + 1;
  }
}

}  // namespace

std::optional<repo::TreeEntry> dump_root_of(const repo::SnapshotRecord& record) {
  for (const auto& root : record.roots) {
    if (root.path == kDumpRoot && root.entry.type == FileType::directory && root.entry.tree) {
      return root.entry;
    }
  }
  return std::nullopt;
}

Result<> DumpPhase::run(const std::vector<Dump>& dumps, const repo::Repository& repo,
                        int64_t now_ns, const std::function<bool()>& stop_requested) {
  now_ns_ = now_ns;
  if (previous_ && !dumps.empty()) {
    // Only for the mtimes of unchanged dumps: a listing that does not read costs new mtimes.
    auto tree = repo::load_tree(repo, *previous_->tree);
    if (tree) previous_tree_ = std::move(*tree);
  }
  for (const auto& dump : dumps) {
    if (stop_requested && stop_requested()) stopped_ = true;
    if (stopped_) break;
    if (auto r = run_one(dump, stop_requested); !r) return r;
  }
  return {};
}

Result<> DumpPhase::run_one(const Dump& dump, const std::function<bool()>& stop_requested) {
  const std::string path = std::string(kDumpRoot) + "/" + dump.name;
  spdlog::info("{}: running dump {}", node_, dump.name);
  fs::FileMeta opened;
  opened.type = FileType::regular;
  reader_.begin(path, opened);
  const auto stop = [&] {
    if (stop_requested && stop_requested()) stopped_ = true;
    return stopped_;
  };
  auto outcome = fs_.stream_command(
      dump.command, dump.timeout, [&](std::string_view chunk) { return reader_.data(chunk); },
      stop);
  if (!outcome || !outcome->ok()) {
    reader_.end(path, fail("dump", dump.name, 0, "failed"));
    reader_.take_outcomes();
    if (reader_.storage_error()) return std::unexpected(*reader_.storage_error());
    if (stopped_) {
      spdlog::warn("{}: dump {} abandoned: the run is stopping", node_, dump.name);
      return {};
    }
    if (!outcome) {
      fail_dump(dump, outcome.error().message(), {});
    } else if (outcome->timed_out) {
      fail_dump(dump,
                "timed out after " + std::to_string(dump.timeout.count()) + " s and was killed",
                outcome->output);
    } else {
      fail_dump(dump, outcome->describe(), outcome->output);
    }
    return {};
  }
  reader_.end(path, fs::ReadDone{});
  auto outcomes = reader_.take_outcomes();
  if (reader_.storage_error()) return std::unexpected(*reader_.storage_error());
  auto& read = outcomes.at(path);
  if (read.bytes == 0) {
    // No dump tool succeeds with nothing to say; an account whose sshd forces internal-sftp
    // runs no command at all and exits 0. Stored, it would look like a dump.
    fail_dump(dump, "exit status 0 but nothing on standard output", outcome->output);
    return {};
  }
  log_stderr(node_, dump.name, outcome->output, spdlog::level::info);
  Stored s;
  s.entry.name = dump.name;
  s.entry.type = FileType::regular;
  s.entry.mode = 0600;  // a database dump holds what the database's own files do
  s.entry.size = read.bytes;
  s.entry.xxh3 = read.hash;
  s.entry.mtime_ns = now_ns_;
  if (previous_tree_) {
    const auto& old = previous_tree_->entries;
    const auto it = std::find_if(old.begin(), old.end(), [&](const repo::TreeEntry& e) {
      return e.name == dump.name && e.type == FileType::regular;
    });
    if (it != old.end() && it->xxh3 == read.hash && it->size == read.bytes) {
      s.entry.mtime_ns = it->mtime_ns;
    }
  }
  s.chunks = std::move(read.content);
  spdlog::info("{}: dump {}: {}", node_, dump.name, format_bytes(read.bytes));
  stored_.push_back(std::move(s));
  return {};
}

void DumpPhase::fail_dump(const Dump& dump, const std::string& why,
                          const std::string& stderr_text) {
  log_stderr(node_, dump.name, stderr_text, spdlog::level::warn);
  std::string error = why;
  const auto tail = stderr_tail(stderr_text);
  if (!tail.empty()) error += ": " + tail;
  spdlog::error("{}: dump {} failed: {}; it is left out of the snapshot", node_, dump.name, error);
  failures_.push_back({dump.name, std::move(error)});
}

Result<std::optional<repo::SnapshotRoot>> DumpPhase::build(repo::BlobBatch& batch) const {
  if (stored_.empty()) return std::nullopt;
  std::vector<const Stored*> by_name;
  for (const auto& s : stored_) by_name.push_back(&s);
  std::sort(by_name.begin(), by_name.end(),
            [](const Stored* a, const Stored* b) { return a->entry.name < b->entry.name; });
  repo::Tree tree;
  repo::ListingFingerprint fingerprint;  // over the entries without blob ids, as defined
  int64_t newest = 0;
  for (const Stored* s : by_name) {
    repo::TreeEntry e = s->entry;
    fingerprint.add(e);
    if (auto r = repo::set_file_chunks(batch, e, s->chunks); !r) return std::unexpected(r.error());
    newest = std::max(newest, e.mtime_ns);
    tree.entries.push_back(std::move(e));
  }
  auto added = batch.add(repo::BlobType::tree, repo::encode_tree(tree));
  if (!added) return std::unexpected(added.error());
  repo::SnapshotRoot root;
  root.path = kDumpRoot;
  root.entry.type = FileType::directory;
  root.entry.mode = 0700;
  root.entry.mtime_ns = newest;
  root.entry.tree = added->id;
  root.entry.fingerprint = fingerprint.digest();
  return root;
}

}  // namespace nb::backup
