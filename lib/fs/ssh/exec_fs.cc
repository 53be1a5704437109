#include "fs/ssh/exec_fs.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <future>
#include <span>
#include <unordered_map>
#include <unordered_set>

#include "fs/ssh/find_records.h"
#include "fs/ssh/remote_session.h"
#include "fs/ssh/run_on_node.h"
#include "fs/ssh/sftp_fs.h"
#include "fs/ssh/tar_stream.h"
#include "util/clock.h"

namespace nb::fs::ssh {

namespace {

// Files read whole into memory per tar stream, up to this much content; larger files get a
// tar stream of their own and are streamed to the sink.
constexpr uint64_t kWholeFileLimit = 4 << 20;
constexpr uint64_t kBatchBytes = 64 << 20;
// What one run of small files may hold in memory before its members count as changed while
// read (a file that grew after the walk, or a node that sends more than it was asked for).
constexpr uint64_t kBatchMemoryLimit = 2 * kBatchBytes;

std::string nul_list(const std::vector<std::string>& paths) {
  std::string out;
  for (const auto& p : paths) out += p + '\0';
  return out;
}

// The errno tar's message about `path` names ("tar: PATH: Cannot open: Permission denied").
Error missing_member(const std::string& path, const std::string& err) {
  const auto at = err.find(path + ":");
  const std::string line = at == std::string::npos ? "" : err.substr(at, err.find('\n', at) - at);
  if (line.find("Permission denied") != std::string::npos) return Error("open", path, EACCES);
  if (line.find("No such file") != std::string::npos) return Error("open", path, ENOENT);
  return Error("open", path, EIO, line.empty() ? "not delivered by tar" : line);
}

struct Member {
  FileMeta opened;
  std::vector<Xattr> xattrs;
  std::string content;
  bool overflowed = false;  // dropped: more content than the batch may hold
};

// The node's tar names its members; a node is not trusted, so a member must be one of the
// files asked for, each at most once.
Error unasked_member(const std::string& node, const std::string& path) {
  return Error("read tar stream", node, EPROTO,
               "the node sent a member that was not asked for: \"" + path.substr(0, 256) + "\"");
}

// A run of small files as fetched: contents and metadata from tar, metadata after from the
// re-stat, and tar's complaints about files it could not read.
struct SmallBatch {
  std::vector<std::string> paths;
  std::unordered_map<std::string, Member> members;
  std::unordered_map<std::string, FileMeta> after;
  std::string err;
  int64_t read_time_ns = 0;
};

// A connection and the remote loop running on it (remote_session.h). A session left with
// unread replies or broken by an error is dropped, and the next use opens a new one.
struct Link {
  std::unique_ptr<SshConnection> connection;
  std::unique_ptr<RemoteSession> session;
};

class ExecFs final : public NodeFs {
 public:
  ExecFs(SshTarget target, Link main) : target_(std::move(target)), main_(std::move(main)) {}

  Capabilities capabilities() const override {
    // GNU find gives link counts, devices and block counts; GNU tar (--xattrs, --sparse)
    // extended attributes, holes and device numbers.
    return Capabilities{.ctime = true,
                        .inode = true,
                        .hardlinks = true,
                        .xattrs = true,
                        .sparse = true,
                        .specials = true,
                        .mtime_resolution_ns = 10'000'000};
  }
  std::string describe() const override {
    return "exec " + target_.user + "@" + target_.host + ":" + std::to_string(target_.port);
  }
  // Through find, like the walk: SFTP would not give the ctime and inode declared above.
  Result<FileMeta> stat(const std::string& path) override;

  Result<> walk(const std::string& root, WalkVisitor& visitor) override;
  Result<> read_files(const std::vector<std::string>& paths, ReadSink& sink) override;
  Result<> read_extras(const std::vector<std::string>& paths, const ExtrasDone& done) override;

  Result<CommandOutcome> run_command(const std::string& command,
                                     const std::vector<std::string>& env,
                                     std::chrono::seconds timeout) override {
    auto s = session(main_);
    if (!s) return std::unexpected(s.error());
    auto outcome = run_on_node(*main_.connection, command, env, timeout);
    if (!outcome || outcome->timed_out) {
      main_.session.reset();  // the connection may be gone
      main_.connection.reset();
    }
    return outcome;
  }
  Result<CommandOutcome> stream_command(const std::string& command, std::chrono::seconds timeout,
                                        const OutputSink& out,
                                        const std::function<bool()>& cancelled) override {
    auto s = session(main_);
    if (!s) return std::unexpected(s.error());
    auto outcome = stream_on_node(*main_.connection, command, timeout, out, cancelled);
    if (!outcome || outcome->timed_out) {
      main_.session.reset();  // the connection may be gone, or the channel half read
      main_.connection.reset();
    }
    return outcome;
  }

 private:
  Result<RemoteSession*> session(Link& link);
  Result<Link> open_link() const;
  bool is_large(const std::vector<std::string>& run) const;
  Result<> read_in_turn(RemoteSession& main, const std::vector<std::string>& run, ReadSink& sink);
  Result<> read_pipelined(RemoteSession& main, std::span<const std::vector<std::string>> plan,
                          ReadSink& sink);
  Result<SmallBatch> fetch_small(RemoteSession& s, const std::vector<std::string>& paths);
  Result<> deliver_small(const SmallBatch& batch, ReadSink& sink);
  Result<> read_streamed(RemoteSession& s, const std::string& path, ReadSink& sink);

  SshTarget target_;
  Link main_;  // the walk, stats and large files
  Link bulk_;  // runs of small files, fetched while the previous run is handed to the sink
  std::unordered_map<std::string, uint64_t> sizes_;  // from the last walk, to plan reads
  // bulk_ while it logs in. Declared last: destroyed first, it waits for the login to end.
  std::future<Result<Link>> bulk_opening_;
};

Result<RemoteSession*> ExecFs::session(Link& link) {
  if (link.session && (!link.session->usable() || link.session->unanswered() > 0)) {
    link.session.reset();
    link.connection.reset();  // its stream is out of step, or the connection failed
  }
  if (!link.session) {
    if (!link.connection) {
      auto c = SshConnection::open(target_);
      if (!c) return std::unexpected(c.error());
      link.connection = std::move(*c);
    }
    // The tools were checked when the node was opened.
    auto started = RemoteSession::start(*link.connection, /*check_tools=*/false);
    if (!started) {
      link.connection.reset();
      return std::unexpected(started.error());
    }
    link.session = std::move(started->session);
  }
  return link.session.get();
}

// The stat reply of `paths`: what find could stat, in the walk's record format.
Result<std::unordered_map<std::string, FileMeta>> read_stats(RemoteSession& s) {
  std::unordered_map<std::string, FileMeta> out;
  FindRecordParser parser([&](const std::string& path, const FileMeta& meta) -> Result<> {
    out[path] = meta;
    return {};
  });
  auto reply = s.reply(find_body([&](std::string_view chunk) { return parser.feed(chunk); }));
  if (!reply) return std::unexpected(reply.error());
  return out;
}

Result<> ExecFs::walk(const std::string& root, WalkVisitor& visitor) {
  std::string skipped;  // an excluded directory: its descendants follow it (pre-order)
  bool saw_root = false;
  FindRecordParser parser([&](const std::string& path, const FileMeta& meta) -> Result<> {
    if (!skipped.empty() && path.starts_with(skipped)) return {};
    skipped.clear();
    saw_root = true;
    if (meta.type == FileType::regular) sizes_[path] = meta.size;
    if (!visitor.entry(path, meta) && meta.type == FileType::directory) skipped = path + "/";
    return {};
  });
  auto s = session(main_);
  if (!s) return std::unexpected(s.error());
  // find -xdev does not descend into other filesystems (/proc below a walk of /).
  (*s)->request(visitor.one_file_system() ? "walkx" : "walk", root);
  auto run = (*s)->reply(find_body([&](std::string_view chunk) { return parser.feed(chunk); }));
  if (!run) return std::unexpected(run.error());
  if (!saw_root) {
    const bool missing = run->err.find("No such file") != std::string::npos;
    return fail("walk", root, missing ? ENOENT : EACCES, run->err.substr(0, 200));
  }
  // find goes on past what it cannot read and says so on stderr, one line each (the session
  // hands stderr over without its final newline).
  size_t start = 0;
  while (start < run->err.size()) {
    size_t nl = run->err.find('\n', start);
    if (nl == std::string::npos) nl = run->err.size();
    if (nl > start) visitor.error(Error("walk", root, 0, run->err.substr(start, nl - start)));
    start = nl + 1;
  }
  return {};
}

Result<FileMeta> ExecFs::stat(const std::string& path) {
  auto s = session(main_);
  if (!s) return std::unexpected(s.error());
  (*s)->request("stat", path);
  auto found = read_stats(**s);
  if (!found) return std::unexpected(found.error());
  const auto it = found->find(path);
  if (it == found->end()) return fail("stat", path, ENOENT);
  return it->second;
}

// Many small files: the replies to one tar request (into memory) and the re-stat after it.
Result<SmallBatch> ExecFs::fetch_small(RemoteSession& s, const std::vector<std::string>& paths) {
  SmallBatch batch;
  batch.paths = paths;
  const std::unordered_set<std::string_view> asked(batch.paths.begin(), batch.paths.end());
  Member* current = nullptr;
  uint64_t held = 0;
  const TarCallbacks callbacks{.begin = [&](const TarMember& member) -> Result<> {
                                 const auto& path = member.path;
                                 if (!asked.contains(path) || batch.members.contains(path)) {
                                   return std::unexpected(unasked_member(target_.node_id, path));
                                 }
                                 // Every file of this run was small when walked: a member claiming
                                 // more than the run may hold would only be read to be dropped.
                                 if (member.meta.size > kBatchMemoryLimit) {
                                   return fail("read tar stream", target_.node_id, EPROTO,
                                               "the node sent " + std::to_string(member.meta.size) +
                                                   " bytes for " + path.substr(0, 256) +
                                                   ", walked as a small file",
                                               true);
                                 }
                                 current = &batch.members[path];
                                 current->opened = member.meta;
                                 current->xattrs = member.xattrs;
                                 return {};
                               },
                               .data = [&](std::string_view chunk) -> Result<> {
                                 if (current->overflowed) return {};
                                 if (held + chunk.size() > kBatchMemoryLimit) {
                                   held -= current->content.size();
                                   current->content = {};
                                   current->overflowed = true;
                                   return {};
                                 }
                                 held += chunk.size();
                                 current->content.append(chunk);
                                 return {};
                               }};
  auto run =
      s.reply_tar([&](const TarInput& next) { return read_tar(next, callbacks, target_.node_id); });
  if (!run) return std::unexpected(run.error());
  batch.err = std::move(run->err);
  auto after = read_stats(s);
  if (!after) return std::unexpected(after.error());
  batch.after = std::move(*after);
  batch.read_time_ns = now_ns();
  return batch;
}

Result<> ExecFs::deliver_small(const SmallBatch& batch, ReadSink& sink) {
  for (const auto& path : batch.paths) {
    const auto m = batch.members.find(path);
    if (m == batch.members.end()) {
      sink.end(path, std::unexpected(missing_member(path, batch.err)));
      continue;
    }
    const auto a = batch.after.find(path);
    if (m->second.overflowed) {
      sink.end(path, fail("read", path, EIO, "grew too large while being read", true));
      continue;
    }
    if (m->second.opened.type != FileType::regular || a == batch.after.end()) {
      sink.end(path, fail("open", path, 0, "no longer a regular file"));
      continue;
    }
    FileMeta opened = m->second.opened;
    opened.inode = a->second.inode;  // tar does not carry it
    sink.begin(path, opened);
    if (auto r = sink.data(m->second.content); !r) return r;
    sink.end(path, ReadDone{a->second, batch.read_time_ns, m->second.xattrs});
  }
  return {};
}

// A large file: its own tar stream, straight to the sink, then its re-stat.
Result<> ExecFs::read_streamed(RemoteSession& s, const std::string& path, ReadSink& sink) {
  bool begun = false;
  Result<> sink_error;
  std::vector<Xattr> xattrs;
  const auto walked = sizes_.find(path);
  const TarCallbacks callbacks{
      .begin = [&](const TarMember& member) -> Result<> {
        if (member.path != path || begun) {
          return std::unexpected(unasked_member(target_.node_id, member.path));
        }
        if (member.meta.type != FileType::regular) return {};
        // A sparse member's holes are made here, as zeros: a size the walk did not see would
        // let a node have us make zeros without end.
        if (member.meta.sparse && walked != sizes_.end() && member.meta.size > walked->second) {
          return fail("read tar stream", path, EPROTO,
                      "a sparse member larger than the walk found the file", true);
        }
        sink.begin(path, member.meta);
        xattrs = member.xattrs;
        begun = true;
        return {};
      },
      .data = [&](std::string_view chunk) -> Result<> {
        if (!begun) return {};
        sink_error = sink.data(chunk);
        return sink_error;
      }};
  auto run =
      s.reply_tar([&](const TarInput& next) { return read_tar(next, callbacks, target_.node_id); });
  if (!sink_error) return sink_error;
  if (!run) {
    // The sink has begun this file: it must be ended, and a stream cut short is not a copy.
    if (begun) sink.end(path, fail("read tar stream", path, EIO, "stream ended early", true));
    return std::unexpected(run.error());
  }
  auto after = read_stats(s);
  if (!after) {
    if (begun) sink.end(path, std::unexpected(after.error()));
    return std::unexpected(after.error());
  }
  if (!begun) {
    sink.end(path, std::unexpected(missing_member(path, run->err)));
    return {};
  }
  const auto a = after->find(path);
  if (a == after->end()) {
    sink.end(path, fail("stat", path, ENOENT, "vanished while being read"));
    return {};
  }
  sink.end(path, ReadDone{a->second, now_ns(), std::move(xattrs)});
  return {};
}

// Directories, symlinks and special files: tar without --recursion sends their headers alone,
// with their extended attributes and device numbers.
Result<> ExecFs::read_extras(const std::vector<std::string>& paths, const ExtrasDone& done) {
  auto s = session(main_);
  if (!s) return std::unexpected(s.error());
  const std::unordered_set<std::string_view> asked(paths.begin(), paths.end());
  std::unordered_map<std::string, Extras> got;
  const TarCallbacks callbacks{
      .begin = [&](const TarMember& member) -> Result<> {
        if (!asked.contains(member.path) || got.contains(member.path)) {
          return std::unexpected(unasked_member(target_.node_id, member.path));
        }
        if (member.meta.type == FileType::regular && member.meta.size > 0) {
          return fail("read tar stream", target_.node_id, EPROTO,
                      "the node sent content for " + member.path.substr(0, 256) +
                          ", asked for its metadata",
                      true);
        }
        got[member.path] = Extras{member.xattrs, member.rdev};
        return {};
      },
      .data = [](std::string_view) -> Result<> { return {}; }};
  (*s)->request("tar", nul_list(paths));
  auto run = (*s)->reply_tar(
      [&](const TarInput& next) { return read_tar(next, callbacks, target_.node_id); });
  if (!run) return std::unexpected(run.error());
  for (const auto& path : paths) {
    auto it = got.find(path);
    if (it == got.end()) {
      done(path, std::unexpected(missing_member(path, run->err)));
    } else {
      done(path, std::move(it->second));
    }
  }
  return {};
}

// The plan: runs of small files (one tar request each) and single large files, in order.
std::vector<std::vector<std::string>> plan_reads(
    const std::vector<std::string>& paths, const std::unordered_map<std::string, uint64_t>& sizes) {
  std::vector<std::vector<std::string>> plan;
  uint64_t run_bytes = kBatchBytes;
  for (const auto& path : paths) {
    const auto size = sizes.find(path);
    const uint64_t bytes = size == sizes.end() ? 0 : size->second;
    if (bytes > kWholeFileLimit) {
      plan.push_back({path});
      run_bytes = kBatchBytes;  // the next small file starts a new run
      continue;
    }
    if (run_bytes >= kBatchBytes || plan.back().size() >= 1024) {
      plan.emplace_back();
      run_bytes = 0;
    }
    plan.back().push_back(path);
    run_bytes += bytes;
  }
  return plan;
}

bool ExecFs::is_large(const std::vector<std::string>& run) const {
  const auto size = sizes_.find(run.front());
  return run.size() == 1 && size != sizes_.end() && size->second > kWholeFileLimit;
}

Result<Link> ExecFs::open_link() const {
  auto c = SshConnection::open(target_);
  if (!c) return std::unexpected(c.error());
  auto started = RemoteSession::start(**c, /*check_tools=*/false);
  if (!started) return std::unexpected(started.error());
  return Link{std::move(*c), std::move(started->session)};
}

// Small runs go to a second session, read on another thread while the main one hands the
// previous run to the sink: the network and the repository's disk work at the same time, and
// a large file streaming on the main session does not stop the prefetch. That session costs a
// login, which costs what the node's shell start-up costs (seconds for a login shell that
// initialises pyenv and cargo): a read of a single run does without it, and a longer one
// starts it in the background while the main session reads runs one after the other.
Result<> ExecFs::read_files(const std::vector<std::string>& paths, ReadSink& sink) {
  const auto plan = plan_reads(paths, sizes_);
  auto main = session(main_);
  if (!main) return std::unexpected(main.error());
  size_t i = 0;
  if (!bulk_.session) {
    const auto small_runs =
        std::count_if(plan.begin(), plan.end(), [&](const auto& run) { return !is_large(run); });
    if (small_runs >= 2 && !bulk_opening_.valid()) {
      bulk_opening_ = std::async(std::launch::async, [this] { return open_link(); });
    }
    const auto bulk_ready = [&] {
      return bulk_opening_.valid() &&
             bulk_opening_.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
    };
    for (; i < plan.size() && !bulk_ready(); ++i) {
      if (auto r = read_in_turn(**main, plan[i], sink); !r) return r;
    }
    if (i == plan.size()) return {};
    auto link = bulk_opening_.get();
    if (!link) return std::unexpected(link.error());
    bulk_ = std::move(*link);
  }
  return read_pipelined(**main, std::span(plan).subspan(i), sink);
}

// One run on the main session, its reply read before the next run is asked for.
Result<> ExecFs::read_in_turn(RemoteSession& main, const std::vector<std::string>& run,
                              ReadSink& sink) {
  const std::string list = nul_list(run);
  main.request("tar", list);
  main.request("stat", list);  // after tar has read them: a change during the read shows
  if (is_large(run)) return read_streamed(main, run.front(), sink);
  auto batch = fetch_small(main, run);
  if (!batch) return std::unexpected(batch.error());
  return deliver_small(*batch, sink);
}

// Every request of the plan is sent at once, so the node works through them without waiting
// for a turn-around per run.
Result<> ExecFs::read_pipelined(RemoteSession& main, std::span<const std::vector<std::string>> plan,
                                ReadSink& sink) {
  RemoteSession* bulk = nullptr;
  for (const auto& run : plan) {
    RemoteSession* s = &main;
    if (!is_large(run)) {
      if (bulk == nullptr) {
        auto b = session(bulk_);
        if (!b) return std::unexpected(b.error());
        bulk = *b;
      }
      s = bulk;
    }
    const std::string list = nul_list(run);
    s->request("tar", list);
    s->request("stat", list);  // after tar has read them: a change during the read shows
  }
  std::future<Result<SmallBatch>> next;
  const auto start_fetch = [&](size_t i) {
    while (i < plan.size() && is_large(plan[i])) ++i;
    if (i < plan.size()) {
      next = std::async(std::launch::async,
                        [this, &plan, bulk, i] { return fetch_small(*bulk, plan[i]); });
    }
    return i;
  };
  size_t fetching = start_fetch(0);
  for (size_t i = 0; i < plan.size(); ++i) {
    if (is_large(plan[i])) {
      if (auto r = read_streamed(main, plan[i].front(), sink); !r) return r;
      continue;
    }
    auto batch = next.get();  // plan[i] is the run being fetched
    if (!batch) return std::unexpected(batch.error());
    fetching = start_fetch(fetching + 1);
    if (auto r = deliver_small(*batch, sink); !r) return r;
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<NodeFs>> open_exec_fs(const SshTarget& target) {
  auto c = SshConnection::open(target);
  if (!c) return std::unexpected(c.error());
  auto started = RemoteSession::start(**c);
  if (!started) return std::unexpected(started.error());
  // GNU find, tar and head are what the exec transport relies on (-printf, --null, pax
  // output, head -c reading exactly what it is told).
  if (!started->gnu) {
    spdlog::warn("{}: no GNU find, tar and head on the node: falling back to the sftp transport",
                 target.node_id);
    return open_sftp_fs(target);
  }
  return std::make_unique<ExecFs>(target, Link{std::move(*c), std::move(started->session)});
}

}  // namespace nb::fs::ssh
