#include "fs/ssh/sftp_fs.h"

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "fs/ssh/sftp_attrs.h"
#include "util/clock.h"

namespace nb::fs::ssh {

namespace {

// Files up to this size are fetched whole by the reader connections in parallel; larger ones
// are streamed by the job's own connection (bandwidth, not round trips, bounds them).
constexpr uint64_t kWholeFileLimit = 4 << 20;
constexpr size_t kReaders = 4;
constexpr size_t kQueueLimit = 64;
constexpr size_t kChunk = 256 * 1024;

std::string join(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

// A file fetched by a reader connection, waiting for the job to consume it.
struct Fetched {
  std::string path;
  std::optional<Error> error;
  bool stream_it = false;  // too large to hold: the job's connection streams it
  FileMeta opened;
  std::string content;
  ReadDone done;
};

// The operations on one connection: lstat, listing, reading one file.
class SftpSession {
 public:
  explicit SftpSession(std::unique_ptr<SshConnection> c) : c_(std::move(c)) {}

  Result<FileMeta> lstat(const std::string& path) {
    auto sftp = c_->sftp();
    if (!sftp) return std::unexpected(sftp.error());
    LIBSSH2_SFTP_ATTRIBUTES attrs{};
    if (libssh2_sftp_stat_ex(*sftp, path.data(), static_cast<unsigned>(path.size()),
                             LIBSSH2_SFTP_LSTAT, &attrs) != 0) {
      return std::unexpected(c_->last_error("stat", path));
    }
    FileMeta meta = meta_from_attrs(attrs);
    if (meta.type == FileType::symlink) {
      auto target = readlink(path);
      if (!target) return std::unexpected(target.error());
      meta.link_target = std::move(*target);
    }
    return meta;
  }

  Result<std::string> readlink(const std::string& path) {
    std::string target(4096, '\0');
    const int n = libssh2_sftp_symlink_ex(
        *c_->sftp(), path.data(), static_cast<unsigned>(path.size()), target.data(),
        static_cast<unsigned>(target.size()), LIBSSH2_SFTP_READLINK);
    if (n < 0) return std::unexpected(c_->last_error("readlink", path));
    target.resize(static_cast<size_t>(n));
    return target;
  }

  // Entries of a directory with their attributes, sorted by name.
  Result<std::vector<std::pair<std::string, FileMeta>>> list(const std::string& dir) {
    auto sftp = c_->sftp();
    if (!sftp) return std::unexpected(sftp.error());
    LIBSSH2_SFTP_HANDLE* h = libssh2_sftp_open_ex(
        *sftp, dir.data(), static_cast<unsigned>(dir.size()), 0, 0, LIBSSH2_SFTP_OPENDIR);
    if (h == nullptr) return std::unexpected(c_->last_error("list directory", dir));
    std::vector<std::pair<std::string, FileMeta>> out;
    std::string name(4096, '\0');
    for (;;) {
      LIBSSH2_SFTP_ATTRIBUTES attrs{};
      const int n = libssh2_sftp_readdir_ex(h, name.data(), name.size(), nullptr, 0, &attrs);
      if (n == 0) break;
      if (n < 0) {
        Error e = c_->last_error("list directory", dir);
        libssh2_sftp_close_handle(h);
        return std::unexpected(e);
      }
      std::string entry(name.data(), static_cast<size_t>(n));
      if (entry != "." && entry != "..") out.emplace_back(std::move(entry), meta_from_attrs(attrs));
    }
    libssh2_sftp_close_handle(h);
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    return out;
  }

  // Opens `path` and calls `chunk` for its content; fills `opened` and `done`. With
  // `max_whole`, stops before reading when the file is larger (returns false).
  Result<bool> read(const std::string& path, FileMeta& opened, ReadDone& done, uint64_t max_whole,
                    const std::function<Result<>(std::string_view)>& chunk) {
    auto sftp = c_->sftp();
    if (!sftp) return std::unexpected(sftp.error());
    LIBSSH2_SFTP_HANDLE* h =
        libssh2_sftp_open_ex(*sftp, path.data(), static_cast<unsigned>(path.size()),
                             LIBSSH2_FXF_READ, 0, LIBSSH2_SFTP_OPENFILE);
    if (h == nullptr) return std::unexpected(c_->last_error("open", path));
    const auto close = [&] { libssh2_sftp_close_handle(h); };
    LIBSSH2_SFTP_ATTRIBUTES attrs{};
    if (libssh2_sftp_fstat_ex(h, &attrs, 0) != 0) {
      Error e = c_->last_error("stat", path);
      close();
      return std::unexpected(e);
    }
    opened = meta_from_attrs(attrs);
    if (opened.type != FileType::regular) {
      close();
      return fail("open", path, 0, "no longer a regular file");
    }
    if (opened.size > max_whole) {
      close();
      return false;
    }
    std::string buffer(kChunk, '\0');
    for (;;) {
      const ssize_t n = libssh2_sftp_read(h, buffer.data(), buffer.size());
      if (n == 0) break;
      if (n < 0) {
        Error e = c_->last_error("read", path);
        close();
        return std::unexpected(e);
      }
      if (auto r = chunk({buffer.data(), static_cast<size_t>(n)}); !r) {
        close();
        return std::unexpected(r.error());
      }
    }
    if (libssh2_sftp_fstat_ex(h, &attrs, 0) != 0) {
      Error e = c_->last_error("stat", path);
      close();
      return std::unexpected(e);
    }
    done = {meta_from_attrs(attrs), now_ns()};
    close();
    return true;
  }

  void keepalive() { c_->keepalive(); }

 private:
  std::unique_ptr<SshConnection> c_;
};

class SftpFs final : public NodeFs {
 public:
  SftpFs(SshTarget target, std::unique_ptr<SshConnection> main)
      : target_(std::move(target)), main_(std::move(main)) {}

  Capabilities capabilities() const override {
    return Capabilities{.ctime = false, .inode = false, .mtime_resolution_ns = 1'000'000'000};
  }

  std::string describe() const override {
    return "sftp " + target_.user + "@" + target_.host + ":" + std::to_string(target_.port);
  }

  Result<FileMeta> stat(const std::string& path) override { return main_.lstat(path); }

  Result<> walk(const std::string& root, WalkVisitor& visitor) override {
    main_.keepalive();
    auto meta = main_.lstat(root);
    if (!meta) return std::unexpected(meta.error());
    if (!visitor.entry(root, *meta) || meta->type != FileType::directory) return {};
    return walk_dir(root, visitor);
  }

  Result<> read_files(const std::vector<std::string>& paths, ReadSink& sink) override;

 private:
  Result<> walk_dir(const std::string& dir, WalkVisitor& visitor) {
    auto entries = main_.list(dir);
    if (!entries) {
      if (entries.error().transient()) return std::unexpected(entries.error());
      visitor.error(entries.error());
      return {};
    }
    for (auto& [name, meta] : *entries) {
      const std::string path = join(dir, name);
      if (meta.type == FileType::symlink) {
        auto target = main_.readlink(path);
        if (!target) {
          if (target.error().transient()) return std::unexpected(target.error());
          visitor.error(target.error());
          continue;
        }
        meta.link_target = std::move(*target);
      }
      if (!visitor.entry(path, meta) || meta.type != FileType::directory) continue;
      if (auto r = walk_dir(path, visitor); !r) return r;
    }
    return {};
  }

  Result<> ensure_readers(size_t wanted);
  Result<> stream_file(const std::string& path, ReadSink& sink);

  SshTarget target_;
  SftpSession main_;
  std::vector<std::unique_ptr<SftpSession>> readers_;
};

Result<> SftpFs::ensure_readers(size_t wanted) {
  while (readers_.size() < wanted) {
    auto c = SshConnection::open(target_);
    if (!c) return std::unexpected(c.error());
    readers_.push_back(std::make_unique<SftpSession>(std::move(*c)));
  }
  return {};
}

Result<> SftpFs::stream_file(const std::string& path, ReadSink& sink) {
  FileMeta opened;
  ReadDone done;
  bool begun = false;
  Result<> sink_error;
  auto r = main_.read(path, opened, done, UINT64_MAX, [&](std::string_view chunk) -> Result<> {
    if (!begun) sink.begin(path, opened), begun = true;
    sink_error = sink.data(chunk);
    return sink_error;
  });
  if (!sink_error) return sink_error;
  if (!r) {
    if (r.error().transient()) return std::unexpected(r.error());
    sink.end(path, std::unexpected(r.error()));
    return {};
  }
  if (!begun) sink.begin(path, opened);
  sink.end(path, done);
  return {};
}

// Reader connections fetch small files whole, in parallel, into a bounded queue; this thread
// hands them to the sink one at a time and streams the large ones itself.
Result<> SftpFs::read_files(const std::vector<std::string>& paths, ReadSink& sink) {
  if (paths.empty()) return {};
  main_.keepalive();
  if (auto r = ensure_readers(std::min(kReaders, (paths.size() + 7) / 8)); !r) return r;

  std::mutex mutex;
  std::condition_variable changed;
  std::deque<Fetched> queue;
  size_t next = 0;
  bool abort = false;
  std::optional<Error> fatal;

  const auto reader = [&](SftpSession& session) {
    for (;;) {
      size_t index;
      {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return abort || queue.size() < kQueueLimit; });
        if (abort || next >= paths.size()) return;
        index = next++;
      }
      Fetched f;
      f.path = paths[index];
      auto r = session.read(f.path, f.opened, f.done, kWholeFileLimit, [&](std::string_view c) {
        f.content.append(c);
        return Result<>{};
      });
      std::lock_guard lock(mutex);
      if (!r && r.error().transient()) {
        if (!fatal) fatal = r.error();
        abort = true;
      } else if (!r) {
        f.error = r.error();
      } else {
        f.stream_it = !*r;
      }
      queue.push_back(std::move(f));
      changed.notify_all();
    }
  };
  std::vector<std::thread> threads;
  for (auto& session : readers_) threads.emplace_back(reader, std::ref(*session));

  Result<> result;
  for (size_t consumed = 0; consumed < paths.size() && result;) {
    Fetched f;
    {
      std::unique_lock lock(mutex);
      changed.wait(lock, [&] { return !queue.empty() || abort; });
      if (queue.empty()) break;
      f = std::move(queue.front());
      queue.pop_front();
      changed.notify_all();
    }
    ++consumed;
    if (f.error) {
      sink.end(f.path, std::unexpected(*f.error));
    } else if (f.stream_it) {
      result = stream_file(f.path, sink);
    } else {
      sink.begin(f.path, f.opened);
      result = sink.data(f.content);
      if (result) sink.end(f.path, f.done);
    }
  }
  {
    std::lock_guard lock(mutex);
    abort = true;
    changed.notify_all();
  }
  for (auto& t : threads) t.join();
  if (fatal) {
    readers_.clear();  // a broken connection is not reused
    return std::unexpected(*fatal);
  }
  return result;
}

}  // namespace

Result<std::unique_ptr<NodeFs>> open_sftp_fs(const SshTarget& target) {
  auto main = SshConnection::open(target);
  if (!main) return std::unexpected(main.error());
  return std::make_unique<SftpFs>(target, std::move(*main));
}

}  // namespace nb::fs::ssh
