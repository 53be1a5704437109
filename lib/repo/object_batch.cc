#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "repo/repository.h"

namespace nb::repo {

namespace {
// Contents up to this size are held in memory until their hash is known, so content the
// repository already has never touches the disk; larger ones stream to a temp file.
constexpr size_t kSpillThreshold = 1 << 20;
}  // namespace

ObjectBatch::~ObjectBatch() {
  abandon_object();
  remove_temps();
}

void ObjectBatch::remove_temps() {
  for (const auto& s : pending_) ::unlink(s.temp_path.c_str());
  pending_.clear();
  staged_.clear();
}

void ObjectBatch::begin_object() {
  abandon_object();
}

void ObjectBatch::abandon_object() {
  buffer_.clear();
  current_size_ = 0;
  if (spill_fd_.valid()) {
    spill_fd_.reset();
    ::unlink(spill_path_.c_str());
  }
}

Result<> ObjectBatch::write_temp(const Hash& hash, std::string_view data, std::string& temp_path) {
  // Staged beside its final name: spreads new inodes over the object directories (one
  // staging directory made ext4's inode allocator the bottleneck of an initial backup) and
  // makes the commit's rename a same-directory one.
  temp_path = repo_.object_path(hash) + temp_suffix();
  UniqueFd fd(::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid()) return errno_error("create object", temp_path, errno);
  if (auto r = write_all(fd.get(), data, temp_path); !r) {
    ::unlink(temp_path.c_str());
    return r;
  }
  return {};
}

Result<> ObjectBatch::spill() {
  spill_path_ = repo_.root() + "/tmp/obj" + temp_suffix();
  spill_fd_.reset(::open(spill_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!spill_fd_.valid()) return errno_error("create object", spill_path_, errno);
  auto r = write_all(spill_fd_.get(), buffer_, spill_path_);
  buffer_.clear();
  return r;
}

Result<> ObjectBatch::append(std::string_view data) {
  current_size_ += data.size();
  if (!spill_fd_.valid()) {
    buffer_.append(data);
    if (buffer_.size() <= kSpillThreshold) return {};
    return spill();
  }
  return write_all(spill_fd_.get(), data, spill_path_);
}

Result<uint64_t> ObjectBatch::finish_object(const Hash& hash) {
  if (staged_.contains(hash) || repo_.has_object(hash)) {
    abandon_object();
    return 0;
  }
  if (auto r = repo_.check_fault(FaultPoint::store_object); !r) {
    abandon_object();
    return std::unexpected(r.error());
  }
  Staged staged{hash, {}};
  if (spill_fd_.valid()) {
    spill_fd_.reset();
    staged.temp_path = std::move(spill_path_);
  } else if (auto r = write_temp(hash, buffer_, staged.temp_path); !r) {
    abandon_object();
    return std::unexpected(r.error());
  }
  const uint64_t size = current_size_;
  buffer_.clear();
  current_size_ = 0;
  staged_.insert(hash);
  pending_.push_back(std::move(staged));
  return size;
}

Result<uint64_t> ObjectBatch::put(const Hash& hash, std::string_view data) {
  begin_object();
  if (auto r = append(data); !r) return std::unexpected(r.error());
  return finish_object(hash);
}

Result<> ObjectBatch::commit() {
  if (pending_.empty()) return {};
  if (auto r = repo_.check_fault(FaultPoint::commit_objects); !r) return r;
  // One sync makes every staged content durable; only then do the objects get their names,
  // and a second sync makes the names durable before any snapshot refers to them.
  UniqueFd root(::open(repo_.root().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return errno_error("open repository", repo_.root(), errno);
  if (::syncfs(root.get()) != 0) return errno_error("sync repository", repo_.root(), errno);
  std::vector<Hash> named;
  for (const auto& s : pending_) {
    const std::string target = repo_.object_path(s.hash);
    if (::rename(s.temp_path.c_str(), target.c_str()) != 0) {
      return errno_error("store object", target, errno);
    }
    named.push_back(s.hash);
  }
  pending_.clear();
  staged_.clear();
  if (::syncfs(root.get()) != 0) return errno_error("sync repository", repo_.root(), errno);
  repo_.note_committed(named);
  return {};
}

}  // namespace nb::repo
