#include "repo/verify.h"

#include <map>
#include <unordered_set>

#include "repo/browse.h"
#include "repo/chunk_list.h"
#include "util/clock.h"

namespace nb::repo {

namespace {

// Index files → one Index, and for each pack what the index says is in it.
struct IndexView {
  Index index;
  std::map<BlobId, PackRecord> packs;
};

void check_index_files(const Repository& repo, VerifyReport& report, IndexView& view) {
  auto files = repo.storage().list("index/");
  if (!files) return report.problems.push_back(files.error().message());
  for (const auto& f : *files) {
    ++report.index_files;
    const std::string what = repo.storage().describe(f.name);
    auto data = repo.storage().get(f.name);
    auto records = data ? read_index_records(repo.keys(), *data, what)
                        : Result<std::vector<PackRecord>>(std::unexpected(data.error()));
    if (!records) {
      report.problems.push_back("index file " + what + ": " + records.error().message());
      continue;
    }
    for (auto& p : *records) {
      view.index.add(p);
      view.packs[p.pack_id] = std::move(p);
    }
  }
  view.index.finalize();
}

bool selected(const BlobId& pack, const VerifyOptions& options) {
  if (options.read_data_percent >= 100) return true;
  const int percent = std::max(1, options.read_data_percent);
  const uint32_t groups = static_cast<uint32_t>((100 + percent / 2) / percent);
  const int64_t day = options.day ? *options.day : now_ns() / (86400LL * 1'000'000'000);
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = v << 8 | pack.bytes()[i];
  return v % groups == static_cast<uint32_t>(day % groups);
}

void read_pack(const Repository& repo, const PackRecord& record, VerifyReport& report) {
  const std::string name = pack_name(record.pack_id);
  const std::string what = repo.storage().describe(name);
  auto bytes = repo.storage().get(name);
  if (!bytes) return report.problems.push_back("pack " + what + ": " + bytes.error().message());
  ++report.packs_read;
  if (content_name(*bytes) != record.pack_id) {
    report.problems.push_back("pack " + what + " is corrupt: its bytes do not match its name");
  }
  auto header = read_pack_header(repo.keys(), *bytes, what);
  if (!header) return report.problems.push_back("pack " + header.error().message());
  std::map<BlobId, PackBlob> in_header;
  for (const auto& b : *header) in_header[b.id] = b;
  for (const auto& b : record.blobs) {
    const auto it = in_header.find(b.id);
    if (it == in_header.end() || it->second.offset != b.offset || it->second.length != b.length) {
      report.problems.push_back("pack " + what + ": header and index disagree on blob " +
                                b.id.hex());
    }
  }
  for (const auto& b : *header) {
    ++report.blobs;
    const std::string blob = "blob " + b.id.hex() + " in pack " + what;
    auto plain = unseal(repo.keys(), std::string_view(*bytes).substr(b.offset, b.length), blob);
    if (!plain) {
      report.problems.push_back(plain.error().message());
    } else if (repo.blob_id(*plain) != b.id) {
      report.problems.push_back(blob + " is corrupt: its content does not match its id");
    }
  }
}

void check_packs(const Repository& repo, const VerifyOptions& options, const IndexView& view,
                 VerifyReport& report) {
  auto files = repo.storage().list("data/");
  if (!files) return report.problems.push_back(files.error().message());
  std::map<std::string, uint64_t> on_storage;
  for (const auto& f : *files) on_storage[f.name] = f.size;
  std::unordered_set<std::string> named;
  for (const auto& [id, record] : view.packs) {
    ++report.packs;
    const std::string name = pack_name(id);
    named.insert(name);
    const auto it = on_storage.find(name);
    if (it == on_storage.end()) {
      report.problems.push_back("pack " + repo.storage().describe(name) + " is missing (" +
                                std::to_string(record.blobs.size()) + " blobs)");
      continue;
    }
    if (it->second != record.size) {
      report.problems.push_back("pack " + repo.storage().describe(name) + " has " +
                                std::to_string(it->second) + " bytes, the index says " +
                                std::to_string(record.size));
    }
    if (options.read_data && selected(id, options)) read_pack(repo, record, report);
  }
  for (const auto& [name, size] : on_storage) report.unindexed_packs += !named.contains(name);
}

// Walks snapshots' references; a listing shared by many snapshots is checked once.
class ReferenceChecker {
 public:
  ReferenceChecker(const Repository& repo, const Index& index, VerifyReport& report)
      : repo_(repo), index_(index), report_(report) {}

  void check(const SnapshotRecord& record) {
    where_ = "snapshot " + record.node + "/" + record.id;
    for (const auto& root : record.roots) entry(root.path, root.entry);
  }

 private:
  void entry(const std::string& path, const TreeEntry& e) {
    if (e.type == FileType::regular) {
      chunks(path, e.content);
      for (const auto& id : e.chunk_lists) {
        // A blob seen as data may also be a piece (a node can store those bytes as a file):
        // pieces and listings are expanded once each, apart from what was merely seen.
        if (!expanded_.insert(id).second) continue;
        ++report_.references;
        if (!index_.contains(id)) {
          problem(path, "chunk list " + id.hex() + " is missing");
          continue;
        }
        auto piece = read_chunk_list(repo_, id);
        if (!piece) {
          problem(path, piece.error().message());
          continue;
        }
        chunks(path, *piece);
      }
      return;
    }
    if (e.type != FileType::directory) return;
    if (!e.tree) return problem(path, "directory without a listing");
    if (!expanded_.insert(*e.tree).second) return;  // checked already, with all below it
    ++report_.references;
    if (!index_.contains(*e.tree)) return problem(path, "listing " + e.tree->hex() + " is missing");
    auto tree = load_tree(repo_, *e.tree);
    if (!tree) return problem(path, tree.error().message());
    for (const auto& child : tree->entries) {
      if (!safe_name(child.name)) {
        problem(path, "unsafe entry name \"" + child.name + "\" in listing " + e.tree->hex());
        continue;
      }
      entry(path == "/" ? "/" + child.name : path + "/" + child.name, child);
    }
  }

  void chunks(const std::string& path, const std::vector<BlobId>& ids) {
    for (const auto& id : ids) {
      if (!seen_.insert(id).second) continue;
      ++report_.references;
      if (!index_.contains(id)) problem(path, "chunk " + id.hex() + " is missing");
    }
  }

  void problem(const std::string& path, const std::string& what) {
    report_.problems.push_back(where_ + ": " + path + ": " + what);
  }

  const Repository& repo_;
  const Index& index_;
  VerifyReport& report_;
  std::string where_;
  std::unordered_set<BlobId, BlobIdHasher> seen_;      // chunks checked
  std::unordered_set<BlobId, BlobIdHasher> expanded_;  // listings and pieces read
};

void check_snapshots(const Repository& repo, const Index& index, VerifyReport& report) {
  auto files = repo.storage().list("snapshots/");
  if (!files) return report.problems.push_back(files.error().message());
  ReferenceChecker checker(repo, index, report);
  for (const auto& f : *files) {
    if (f.name.substr(f.name.find_last_of('/') + 1).find('.') != std::string::npos) continue;
    ++report.snapshots;
    const std::string what = repo.storage().describe(f.name);
    auto sealed = repo.storage().get(f.name);
    auto text = sealed ? unseal(repo.keys(), *sealed, what)
                       : Result<std::string>(std::unexpected(sealed.error()));
    auto record =
        text ? decode_snapshot(*text, what) : Result<SnapshotRecord>(std::unexpected(text.error()));
    if (!record) {
      report.problems.push_back("snapshot record " + record.error().message());
      continue;
    }
    if (Repository::snapshot_name(record->node, record->id) != f.name) {
      report.problems.push_back("snapshot record " + what + " names " + record->node + "/" +
                                record->id + ": moved from another name");
      continue;
    }
    checker.check(*record);
  }
}

}  // namespace

Result<VerifyReport> verify(const Repository& repo, const VerifyOptions& options) {
  VerifyReport report;
  IndexView view;
  check_index_files(repo, report, view);
  check_packs(repo, options, view, report);
  check_snapshots(repo, view.index, report);
  return report;
}

}  // namespace nb::repo
