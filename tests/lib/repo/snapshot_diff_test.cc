// `changes` between two snapshots (repo/snapshot_diff.h) and `cat`'s verified read
// (repo/file_content.h). The listing reads are counted underneath the repository, by a Storage
// that counts the pack reads, so the "unchanged subtrees are not read" promise is checked by
// what was fetched, not by what the diff says it did.
#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <map>

#include "repo/browse.h"
#include "repo/chunk_list.h"
#include "repo/file_content.h"
#include "repo/format/pack.h"
#include "repo/snapshot_diff.h"
#include "support/backup_fixture.h"
#include "util/file.h"

using namespace nb;
using namespace nb::test;

namespace {

// A Storage that forwards everything and counts the blob reads from packs.
class CountingStorage final : public repo::Storage {
 public:
  explicit CountingStorage(std::unique_ptr<repo::Storage> inner) : inner_(std::move(inner)) {}
  Result<> put(const std::string& name, std::string_view data) override {
    return inner_->put(name, data);
  }
  Result<std::unique_ptr<repo::PendingFile>> create_pending(const std::string& prefix) override {
    return inner_->create_pending(prefix);
  }
  Result<std::string> get(const std::string& name) const override {
    if (name.starts_with("data/")) ++pack_reads;
    return inner_->get(name);
  }
  Result<std::string> get_range(const std::string& name, uint64_t offset,
                                uint64_t length) const override {
    if (name.starts_with("data/")) ++pack_reads;
    return inner_->get_range(name, offset, length);
  }
  Result<std::vector<repo::StoredFile>> list(const std::string& prefix) const override {
    return inner_->list(prefix);
  }
  Result<> remove(const std::string& name) override { return inner_->remove(name); }
  Result<std::unique_ptr<repo::StorageLock>> lock(bool exclusive, bool wait) override {
    return inner_->lock(exclusive, wait);
  }
  Result<std::vector<repo::StoredFile>> list_incomplete() const override {
    return inner_->list_incomplete();
  }
  Result<> remove_incomplete(const std::string& name) override {
    return inner_->remove_incomplete(name);
  }
  const std::string& location() const override { return inner_->location(); }
  std::string describe(const std::string& name) const override { return inner_->describe(name); }

  mutable std::atomic<size_t> pack_reads{0};

 private:
  std::unique_ptr<repo::Storage> inner_;
};

struct Counted {
  std::unique_ptr<repo::Repository> repo;
  CountingStorage* storage = nullptr;
};

Counted open_counted(const std::string& dir) {
  auto storage = std::make_unique<CountingStorage>(repo::open_local_storage(dir));
  Counted c;
  c.storage = storage.get();
  auto opened = repo::Repository::open(std::move(storage), {});
  REQUIRE(opened);
  c.repo = std::move(*opened);
  return c;
}

// "<marker> <path relative to src>[ (old -> new)]", one per change.
std::vector<std::string> changes(const repo::Repository& repo, const std::string& src,
                                 const std::string& from, const std::string& to,
                                 repo::DiffStats* stats = nullptr) {
  auto a = repo.find_snapshot("01_node", from);
  auto b = repo.find_snapshot("01_node", to);
  REQUIRE(a);
  REQUIRE(b);
  std::vector<std::string> out;
  auto r = repo::diff_snapshots(repo, *a, *b, [&](const repo::Change& c) {
    std::string line = std::string(repo::change_marker(c.kind)) + " " +
                       (c.path.starts_with(src) ? c.path.substr(src.size()) : c.path);
    if (c.kind == repo::ChangeKind::type) {
      line += std::string(" (") + type_name(c.old_type) + " -> " + type_name(c.new_type) + ")";
    }
    out.push_back(line);
  });
  REQUIRE(r);
  if (stats) *stats = *r;
  return out;
}

void make_tree(BackupFixture& fx) {
  fx.write("a/b/c/one", "one");
  fx.write("a/b/c/two", "two");
  fx.write("a/b/three", "three");
  fx.write("d/e/four", "four");
  fx.write("d/five", "five");
  fx.write("six", "six");
}

}  // namespace

TEST_CASE("changes lists added, removed, modified, metadata and type changes", "[repo][changes]") {
  BackupFixture fx(local_node());
  make_tree(fx);
  fx.write("typechange", "a file first");
  fx.write("meta", "same content");
  fx.write("gone", "going");
  fx.write("gonedir/x", "x");
  fx.world->symlink("link", "/etc/one");
  REQUIRE(fx.run().ok);
  const auto first = fx.repo->find_snapshot("01_node", "latest")->id;

  fx.write("a/b/c/one", "one, changed", 1800);
  fx.write("new", "new file");
  fx.write("newdir/y", "y");
  fx.remove("gone");
  fx.remove("gonedir");
  fx.remove("typechange");
  fx.write("typechange/z", "now a directory");
  fx.chmod("meta", 0600);
  fx.remove("link");
  fx.world->symlink("link", "/etc/two");
  REQUIRE(fx.run().ok);
  const auto second = fx.repo->find_snapshot("01_node", "latest")->id;

  const std::vector<std::string> expected = {
      "M /a/b/c/one",    "- /gone", "- /gonedir", "- /gonedir/x", "M /link",
      "U /meta",         "+ /new",  "+ /newdir",  "+ /newdir/y",  "T /typechange (file -> dir)",
      "+ /typechange/z",
  };
  CHECK(changes(*fx.repo, fx.src, first, second) == expected);
  CHECK(changes(*fx.repo, fx.src, second, "latest").empty());
  // Backwards, every change turns around.
  const auto back = changes(*fx.repo, fx.src, second, first);
  CHECK(std::find(back.begin(), back.end(), "+ /gone") != back.end());
  CHECK(std::find(back.begin(), back.end(), "- /newdir/y") != back.end());
  CHECK(std::find(back.begin(), back.end(), "T /typechange (dir -> file)") != back.end());
  CHECK(std::find(back.begin(), back.end(), "- /typechange/z") != back.end());
}

TEST_CASE("changes skips a subtree whose listing is the same in both without reading it",
          "[repo][changes]") {
  BackupFixture fx(local_node());
  make_tree(fx);
  for (int i = 0; i < 20; ++i) fx.write("d/many/f" + std::to_string(i), std::to_string(i));
  REQUIRE(fx.run().ok);
  const auto first = fx.repo->find_snapshot("01_node", "latest")->id;
  fx.write("a/b/c/one", "one, changed", 1800);
  REQUIRE(fx.run().ok);
  const auto second = fx.repo->find_snapshot("01_node", "latest")->id;

  auto counted = open_counted(fx.repo_dir);
  repo::DiffStats stats;
  const auto found = changes(*counted.repo, fx.src, first, second, &stats);
  CHECK(found == std::vector<std::string>{"M /a/b/c/one"});
  // The root, a, a/b and a/b/c, in each snapshot; d (and all below it) is never fetched.
  CHECK(counted.storage->pack_reads == 8);
  CHECK(stats.listings_read == 8);
  CHECK(stats.subtrees_skipped == 1);

  // The same snapshot twice: the roots' listings are equal, nothing is read at all.
  counted.storage->pack_reads = 0;
  CHECK(changes(*counted.repo, fx.src, second, second, &stats).empty());
  CHECK(counted.storage->pack_reads == 0);
  CHECK(stats.listings_read == 0);
}

TEST_CASE("a verified read gives the file byte for byte and refuses a corrupt chunk",
          "[repo][cat]") {
  BackupFixture fx(local_node());
  const std::string big = random_bytes(3 << 20, 11);  // several chunks
  fx.write("big", big);
  fx.write("small", "small file\n");
  REQUIRE(fx.run().ok);
  auto record = fx.repo->find_snapshot("01_node", "latest");
  REQUIRE(record);
  auto entry = repo::find_entry(*fx.repo, *record, fx.file("big"));
  REQUIRE(entry);
  std::string out;
  const auto collect = [&](std::string_view chunk) {
    out.append(chunk);
    return Result<>{};
  };
  auto n = repo::read_file_content(*fx.repo, *entry, fx.file("big"), collect);
  REQUIRE(n);
  CHECK(*n == big.size());
  CHECK(out == big);

  // A directory is not a file.
  auto dir = repo::find_entry(*fx.repo, *record, fx.src);
  REQUIRE(dir);
  CHECK_FALSE(repo::read_file_content(*fx.repo, *dir, fx.src, collect));

  // One flipped byte in the file's second chunk: refused, and nothing of that chunk is
  // handed out (the first chunk was, and is the file's true beginning).
  auto chunks = repo::file_chunks(*fx.repo, *entry);
  REQUIRE(chunks);
  REQUIRE(chunks->size() >= 2);
  const auto where = fx.repo->locate((*chunks)[1]);
  REQUIRE(where);
  {
    std::fstream file(fx.repo_dir + "/" + repo::pack_name(where->pack_id),
                      std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(where->offset + where->length / 2));
    file.put('\x5a');
  }
  out.clear();
  auto refused = repo::read_file_content(*fx.repo, *entry, fx.file("big"), collect);
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.error().message(), Catch::Contains("refused"));
  CHECK(big.starts_with(out));
  CHECK(out.size() < big.size());

  // A recorded hash that the chunks do not add up to is refused too.
  auto small = repo::find_entry(*fx.repo, *record, fx.file("small"));
  REQUIRE(small);
  const std::string other = "something else";
  small->xxh3 = Hash::of(other.data(), other.size());
  auto mismatch = repo::read_file_content(*fx.repo, *small, fx.file("small"), collect);
  REQUIRE_FALSE(mismatch);
  CHECK_THAT(mismatch.error().message(), Catch::Contains("does not match"));
}
