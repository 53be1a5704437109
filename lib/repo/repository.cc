#include "repo/repository.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

namespace nb::repo {

namespace {

constexpr const char* kFormat = "{\"format\": \"nodebackup-repo/1\"}\n";

std::string hex_byte(unsigned i) {
  char buf[3];
  std::snprintf(buf, sizeof buf, "%02x", i);
  return buf;
}

}  // namespace

Result<std::unique_ptr<Repository>> Repository::open(const std::string& root, bool create) {
  std::unique_ptr<Repository> repo(new Repository(root));
  auto marker = read_file(root + "/config");
  if (marker) {
    if (marker->find("nodebackup-repo/1") == std::string::npos) {
      return fail("open repository", root, 0, "config names an unknown format");
    }
    return repo;
  }
  if (marker.error().code() != ENOENT || !create) {
    return fail("open repository", root, marker.error().code(),
                "not a nodebackup repository (no readable config)");
  }
  auto existing = list_directory(root);
  if (!existing) return std::unexpected(existing.error());
  if (!existing->empty()) {
    return fail("create repository", root, 0, "directory is not empty and not a repository");
  }
  if (auto made = repo->create_layout(); !made) return std::unexpected(made.error());
  return repo;
}

Result<> Repository::create_layout() const {
  if (auto r = make_dirs(root_, 0700); !r) return r;
  ::chmod(root_.c_str(), 0700);  // backups hold secrets, whatever the umask made
  for (const char* sub : {"/objects", "/snapshots", "/tmp"}) {
    if (auto r = make_dirs(root_ + sub, 0700); !r) return r;
  }
  for (unsigned i = 0; i < 256; ++i) {
    if (auto r = make_dirs(root_ + "/objects/" + hex_byte(i), 0700); !r) return r;
  }
  // The marker is written last: a half-created repository is not mistaken for a real one.
  return write_file_durably(root_ + "/config", kFormat, 0600);
}

Result<RepoLock> Repository::lock(bool exclusive, bool wait) {
  const std::string path = root_ + "/lock";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd.valid()) return errno_error("open lock", path, errno);
  const int operation = (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB);
  while (::flock(fd.get(), operation) != 0) {
    if (errno == EWOULDBLOCK && !wait) {
      return fail("lock", path, EWOULDBLOCK,
                  exclusive ? "a backup is using the repository" : "a prune is running",
                  /*transient=*/true);
    }
    if (errno != EINTR) return errno_error("lock", path, errno);
  }
  forget_index_if_pruned();
  return RepoLock(std::move(fd));
}

void Repository::forget_index_if_pruned() {
  // Read under the lock just taken: a prune that deleted objects changed the generation
  // before its first deletion and cannot be running now.
  auto text = read_file(root_ + "/generation");
  std::optional<std::string> generation;
  if (text) {
    generation = std::move(*text);
  } else if (text.error().code() == ENOENT) {
    generation = "";  // never pruned
  }
  std::lock_guard lock(generation_mutex_);
  // Unreadable (unset): the index is not trusted, at the cost of reading it again.
  if (generation && generation_ == generation) return;
  // The first lock also lands here: an index read before any lock is not trusted either.
  forget_index();
  generation_ = std::move(generation);
}

std::string Repository::object_path(const Hash& hash) const {
  const std::string hex = hash.hex();
  return root_ + "/objects/" + hex.substr(0, 2) + "/" + hex;
}

Result<std::string> Repository::read_object(const Hash& hash) const {
  return read_file(object_path(hash));
}

Result<std::vector<Hash>> Repository::list_objects() const {
  std::vector<Hash> out;
  for (unsigned i = 0; i < 256; ++i) {
    auto names = list_directory(root_ + "/objects/" + hex_byte(i));
    if (!names) return std::unexpected(names.error());
    for (const auto& name : *names) {
      if (auto hash = Hash::from_hex(name)) out.push_back(*hash);
    }
  }
  return out;
}

Result<> Repository::load_index() {
  auto objects = list_objects();
  if (!objects) return std::unexpected(objects.error());
  index_.clear();
  index_.reserve(objects->size());
  index_.insert(objects->begin(), objects->end());
  index_loaded_ = true;
  return {};
}

void Repository::prefetch_index() {
  std::lock_guard lock(index_mutex_);
  if (index_loaded_ || index_prefetch_.valid()) return;
  index_prefetch_ = std::async(std::launch::async, [this] {
    std::lock_guard inner(index_mutex_);
    if (!index_loaded_) (void)load_index();
  });
}

void Repository::forget_index() {
  std::future<void> in_flight;
  {
    std::lock_guard lock(index_mutex_);
    in_flight = std::move(index_prefetch_);
  }
  // A prefetch still listing the directories could record objects a prune just deleted.
  if (in_flight.valid()) in_flight.wait();
  std::lock_guard lock(index_mutex_);
  index_.clear();
  index_loaded_ = false;
}

bool Repository::has_object(const Hash& hash) {
  std::lock_guard lock(index_mutex_);
  // If the index cannot be read, answering "absent" only costs a re-read and a dedup check.
  if (!index_loaded_ && !load_index()) return false;
  return index_.contains(hash);
}

void Repository::note_committed(const std::vector<Hash>& hashes) {
  std::lock_guard lock(index_mutex_);
  if (index_loaded_) index_.insert(hashes.begin(), hashes.end());
}

std::unique_ptr<ObjectBatch> Repository::new_batch() {
  return std::make_unique<ObjectBatch>(*this);
}

Result<> Repository::check_fault(FaultPoint point) const {
  return fault_hook_ ? fault_hook_(point) : Result<>{};
}

Result<> Repository::write_snapshot(const SnapshotRecord& record) {
  if (auto r = check_fault(FaultPoint::write_snapshot); !r) return r;
  const std::string dir = root_ + "/snapshots/" + record.node;
  if (auto r = make_dirs(dir, 0700); !r) return r;
  return write_file_durably(dir + "/" + record.id + ".json", encode_snapshot(record), 0600);
}

std::string Repository::snapshot_path(const std::string& node, const std::string& id) const {
  return root_ + "/snapshots/" + node + "/" + id + ".json";
}

Result<uint64_t> Repository::remove_snapshot(const std::string& node, const std::string& id) {
  const std::string path = snapshot_path(node, id);
  const std::string dir = parent_path(path);
  struct ::stat st;
  const uint64_t size = ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  if (::unlink(path.c_str()) != 0) return errno_error("remove snapshot", path, errno);
  if (auto r = fsync_dir(dir); !r) return std::unexpected(r.error());
  return size;
}

Result<std::vector<SnapshotRecord>> Repository::snapshots(const std::string& node) const {
  std::vector<std::string> nodes;
  if (node.empty()) {
    auto all = list_directory(root_ + "/snapshots");
    if (!all) return std::unexpected(all.error());
    nodes = std::move(*all);
  } else {
    nodes.push_back(node);
  }
  std::vector<SnapshotRecord> out;
  for (const auto& n : nodes) {
    const std::string dir = root_ + "/snapshots/" + n;
    auto files = list_directory(dir);
    if (!files) return std::unexpected(files.error());
    for (const auto& file : *files) {
      if (!file.ends_with(".json")) continue;  // temp files of an interrupted write
      const std::string path = dir + "/" + file;
      auto text = read_file(path);
      if (!text) return std::unexpected(text.error());
      auto record = decode_snapshot(*text, path);
      if (!record) return std::unexpected(record.error());
      out.push_back(std::move(*record));
    }
  }
  std::sort(out.begin(), out.end(), [](const SnapshotRecord& a, const SnapshotRecord& b) {
    return std::tie(a.finished_ns, a.id) < std::tie(b.finished_ns, b.id);
  });
  return out;
}

Result<SnapshotRecord> Repository::find_snapshot(const std::string& node,
                                                 const std::string& id) const {
  auto all = snapshots(node);
  if (!all) return std::unexpected(all.error());
  for (auto it = all->rbegin(); it != all->rend(); ++it) {
    if (id == "latest" ? !it->partial : it->id == id) return std::move(*it);
  }
  return fail("find snapshot", node + " " + id, ENOENT,
              id == "latest" ? "node has no complete snapshot" : "no such snapshot");
}

}  // namespace nb::repo
