#include "support/memory_fs.h"

#include <cerrno>
#include <iterator>
#include <vector>

namespace nb::test {

using namespace fs;

namespace {

std::string parent_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

bool below(const std::string& path, const std::string& dir) {
  return dir == "/"
             ? path.size() > 1
             : path.size() > dir.size() + 1 && path.starts_with(dir) && path[dir.size()] == '/';
}

// Reads are handed over in chunks of this size, so a change during a read falls between two.
constexpr size_t kChunk = 4096;

}  // namespace

MemoryFs::MemoryFs(Capabilities caps) : caps_(caps) {
  FileMeta root;
  root.type = FileType::directory;
  root.mode = 0755;
  root.inode = next_inode_++;
  entries_["/"] = {root, {}, false};
}

Result<> MemoryFs::put(const std::string& path, FileMeta meta, std::string content) {
  if (path.empty() || path[0] != '/' || path == "/") return fail("add", path, EINVAL);
  const auto parent = entries_.find(parent_of(path));
  if (parent == entries_.end()) return fail("add", path, ENOENT);
  if (parent->second.meta.type != FileType::directory) return fail("add", path, ENOTDIR);
  auto& e = entries_[path];
  meta.inode = e.meta.inode != 0 ? e.meta.inode : next_inode_++;
  meta.ctime_ns = now_ns_;
  e.meta = std::move(meta);
  e.content = std::move(content);
  return {};
}

Result<> MemoryFs::add_directory(const std::string& path, uint32_t mode) {
  FileMeta m;
  m.type = FileType::directory;
  m.mode = mode;
  m.mtime_ns = now_ns_;
  return put(path, m, {});
}

Result<> MemoryFs::add_file(const std::string& path, std::string content, int64_t mtime_ns,
                            uint32_t mode) {
  FileMeta m;
  m.type = FileType::regular;
  m.mode = mode;
  m.size = content.size();
  m.mtime_ns = mtime_ns;
  return put(path, m, std::move(content));
}

Result<> MemoryFs::add_symlink(const std::string& path, const std::string& target) {
  FileMeta m;
  m.type = FileType::symlink;
  m.mode = 0777;
  m.size = target.size();
  m.mtime_ns = now_ns_;
  m.link_target = target;
  return put(path, m, {});
}

Result<> MemoryFs::add_special(const std::string& path, FileType type) {
  FileMeta m;
  m.type = type;
  m.mode = 0644;
  m.mtime_ns = now_ns_;
  return put(path, m, {});
}

void MemoryFs::remove(const std::string& path) {
  entries_.erase(path);
  // Everything below it sorts between "path/" and "path0" ('0' follows '/').
  entries_.erase(entries_.lower_bound(path + "/"), entries_.lower_bound(path + "0"));
}

void MemoryFs::forbid(const std::string& path) {
  if (auto it = entries_.find(path); it != entries_.end()) it->second.forbidden = true;
}

FileMeta MemoryFs::visible(const Entry& e) const {
  FileMeta m = e.meta;
  if (!caps_.ctime) m.ctime_ns = 0;
  if (!caps_.inode) m.inode = 0;
  if (caps_.mtime_resolution_ns > 1) m.mtime_ns -= m.mtime_ns % caps_.mtime_resolution_ns;
  return m;
}

Result<FileMeta> MemoryFs::stat(const std::string& path) {
  const auto it = entries_.find(path);
  if (it == entries_.end()) return fail("stat", path, ENOENT);
  return visible(it->second);
}

Result<> MemoryFs::walk(const std::string& root, WalkVisitor& visitor) {
  const auto top = entries_.find(root);
  if (top == entries_.end()) return fail("walk", root, ENOENT);
  if (top->second.forbidden) return fail("walk", root, EACCES);
  if (!visitor.entry(root, visible(top->second)) || top->second.meta.type != FileType::directory) {
    return {};
  }
  // The map is sorted by path, so a directory comes before everything below it: visiting in
  // map order is a walk with parents before children. Declined or unreadable directories
  // hide what is below them.
  std::vector<std::string> hidden;
  for (auto it = std::next(top); it != entries_.end() && below(it->first, root); ++it) {
    const auto& [path, e] = *it;
    bool skip = false;
    for (const auto& dir : hidden) skip = skip || below(path, dir);
    if (skip) continue;
    if (e.forbidden && e.meta.type == FileType::directory) {
      visitor.entry(path, visible(e));
      visitor.error(Error("list directory", path, EACCES));
      hidden.push_back(path);
      continue;
    }
    if (!visitor.entry(path, visible(e)) && e.meta.type == FileType::directory) {
      hidden.push_back(path);
    }
  }
  return {};
}

Result<> MemoryFs::read_one(const std::string& path, ReadSink& sink) {
  const auto it = entries_.find(path);
  if (it == entries_.end()) {
    sink.end(path, fail("open", path, ENOENT));
    return {};
  }
  if (it->second.meta.type != FileType::regular) {
    sink.end(path, fail("open", path, 0, "no longer a regular file"));
    return {};
  }
  if (it->second.forbidden) {
    sink.end(path, fail("open", path, EACCES));
    return {};
  }
  sink.begin(path, visible(it->second));
  const std::string content = it->second.content;  // as it was when opened
  for (size_t at = 0; at < content.size(); at += kChunk) {
    if (auto r = sink.data(std::string_view(content).substr(at, kChunk)); !r) return r;
    if (at == 0 && while_reading) while_reading(path);
  }
  const auto after = entries_.find(path);
  if (after == entries_.end()) {
    sink.end(path, fail("stat", path, ENOENT, "vanished while being read"));
  } else {
    sink.end(path, ReadDone{visible(after->second), now_ns_, {}});
  }
  return {};
}

Result<> MemoryFs::read_files(const std::vector<std::string>& paths, ReadSink& sink) {
  for (const auto& path : paths) {
    if (auto r = read_one(path, sink); !r) return r;
  }
  return {};
}

}  // namespace nb::test
