// The repository's deletions, used only by prune under the exclusive lock.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "repo/repository.h"
#include "repo/snapshot.h"
#include "util/clock.h"

namespace nb::repo {

namespace {

bool is_temp_name(std::string_view name) {
  return name.find(".tmp.") != std::string_view::npos;
}

// Removes `path`; returns the size it had. A file already gone counts 0: a prune killed
// halfway and run again meets the files it already deleted.
Result<uint64_t> unlink_counted(const std::string& path, const char* what) {
  struct ::stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return 0;
    return errno_error(what, path, errno);
  }
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return 0;
    return errno_error(what, path, errno);
  }
  return static_cast<uint64_t>(st.st_size);
}

// Appends dir/name for each name in `dir` that `keep` selects.
Result<> collect(const std::string& dir, bool (*keep)(std::string_view),
                 std::vector<std::string>& out) {
  auto names = list_directory(dir);
  if (!names) return std::unexpected(names.error());
  for (const auto& name : *names) {
    if (keep(name)) out.push_back(dir + "/" + name);
  }
  return {};
}

}  // namespace

Result<> Repository::start_deleting_objects() {
  return write_file_durably(root_ + "/generation", new_snapshot_id(now_ns()) + "\n", 0600);
}

Result<uint64_t> Repository::delete_object(const Hash& hash) {
  if (auto r = check_fault(FaultPoint::prune_delete_object); !r) return std::unexpected(r.error());
  // No directory sync: an object whose deletion a crash undoes is merely unreferenced, and
  // the next prune deletes it again.
  return unlink_counted(object_path(hash), "delete object");
}

Result<std::vector<std::string>> Repository::leftover_temps() const {
  std::vector<std::string> out;
  const auto any = [](std::string_view) { return true; };
  if (auto r = collect(root_ + "/tmp", any, out); !r) return std::unexpected(r.error());
  if (auto r = collect(root_, is_temp_name, out); !r) return std::unexpected(r.error());
  for (unsigned i = 0; i < 256; ++i) {
    char sub[4];
    std::snprintf(sub, sizeof sub, "%02x", i);
    if (auto r = collect(root_ + "/objects/" + sub, is_temp_name, out); !r) {
      return std::unexpected(r.error());
    }
  }
  auto nodes = list_directory(root_ + "/snapshots");
  if (!nodes) return std::unexpected(nodes.error());
  for (const auto& node : *nodes) {
    if (auto r = collect(root_ + "/snapshots/" + node, is_temp_name, out); !r) {
      return std::unexpected(r.error());
    }
  }
  return out;
}

Result<uint64_t> Repository::delete_temp(const std::string& path) {
  if (auto r = check_fault(FaultPoint::prune_delete_temp); !r) return std::unexpected(r.error());
  return unlink_counted(path, "delete temp file");
}

}  // namespace nb::repo
