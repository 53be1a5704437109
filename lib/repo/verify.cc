#include "repo/verify.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <unordered_set>

#include "repo/browse.h"

namespace nb::repo {

Result<bool> object_intact(const Repository& repo, const Hash& hash, std::string& why) {
  const std::string path = repo.object_path(hash);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    why = errno_error("open", path, errno).error().message();
    return false;
  }
  Hasher hasher;
  // One buffer for every object of a verify: most objects are small, and a fresh zeroed
  // megabyte each was most of verify's time (minutes for 20,000 objects under TSan).
  thread_local std::string buffer(1 << 20, '\0');
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("read", path, errno);
    if (n == 0) break;
    hasher.update(buffer.data(), static_cast<size_t>(n));
  }
  const Hash actual = hasher.digest();
  if (actual == hash) return true;
  why = "object " + hash.hex() + " is corrupt: its content hashes to " + actual.hex();
  return false;
}

namespace {

// Walks snapshots' references; a listing shared by many snapshots is checked once.
class ReferenceChecker {
 public:
  ReferenceChecker(const Repository& repo, VerifyReport& report) : repo_(repo), report_(report) {}

  void check(const SnapshotRecord& record) {
    where_ = "snapshot " + record.node + "/" + record.id;
    for (const auto& root : record.roots) entry(root.path, root.entry);
  }

 private:
  void entry(const std::string& path, const TreeEntry& e) {
    if (e.type == FileType::symlink) return;
    if (!e.object) return problem(path, "entry without an object");
    const bool first_time = seen_.insert(*e.object).second;
    if (first_time) ++report_.references;
    if (e.type == FileType::regular) {
      if (first_time) exists(path, *e.object);
      return;
    }
    if (!first_time) return;  // this listing and everything below it was checked already
    auto tree = load_tree(repo_, *e.object);
    if (!tree) return problem(path, "listing " + e.object->hex() + ": " + tree.error().message());
    for (const auto& child : tree->entries) {
      if (!safe_name(child.name)) {
        problem(path, "unsafe entry name \"" + child.name + "\" in listing " + e.object->hex());
        continue;
      }
      entry(path == "/" ? "/" + child.name : path + "/" + child.name, child);
    }
  }

  void exists(const std::string& path, const Hash& hash) {
    struct ::stat st;
    if (::stat(repo_.object_path(hash).c_str(), &st) != 0) {
      problem(path, "object " + hash.hex() + " is missing");
    }
  }

  void problem(const std::string& path, const std::string& what) {
    report_.problems.push_back(where_ + ": " + path + ": " + what);
  }

  const Repository& repo_;
  VerifyReport& report_;
  std::string where_;
  std::unordered_set<Hash, HashHasher> seen_;
};

}  // namespace

Result<VerifyReport> verify(const Repository& repo, const VerifyOptions& options) {
  VerifyReport report;
  if (options.read_data) {
    auto objects = repo.list_objects();
    if (!objects) return std::unexpected(objects.error());
    for (const auto& hash : *objects) {
      std::string why;
      auto intact = object_intact(repo, hash, why);
      if (!intact) return std::unexpected(intact.error());
      ++report.objects;
      if (!*intact) report.problems.push_back(why);
    }
  }
  auto snapshots = repo.snapshots();
  if (!snapshots) return std::unexpected(snapshots.error());
  ReferenceChecker checker(repo, report);
  for (const auto& record : *snapshots) {
    ++report.snapshots;
    checker.check(record);
  }
  return report;
}

}  // namespace nb::repo
