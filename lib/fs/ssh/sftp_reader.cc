#include "fs/ssh/sftp_reader.h"

#include <cerrno>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>

#include "fs/ssh/sftp_attrs.h"
#include "util/clock.h"

namespace nb::fs::ssh {

namespace {

using Clock = std::chrono::steady_clock;

constexpr uint32_t kChunk = 64 << 10;
// Files up to this size are held whole until complete; larger ones are streamed.
constexpr uint64_t kWholeFileLimit = 1 << 20;
// What a file held whole may reach while it is read before it counts as changed while read.
constexpr uint64_t kGrowthLimit = 16 * kWholeFileLimit;
// Files open at once per channel: each is a descriptor in the node's sftp-server, whose limit
// is commonly 1,024, so this stays well under it. A file costs three round trips (open; fstat
// and read; fstat and close), and what is in flight is what keeps a long link busy: at 50 ms,
// 128 files left it mostly idle.
constexpr size_t kFilesPerChannel = 384;
// The first READ of a file, sent with its FSTAT before its size is known: most files fit.
constexpr uint32_t kFirstRead = 32 << 10;
// READs in flight: a few per buffered file, more for the one being streamed.
constexpr size_t kReadsPerSmallFile = 2;
constexpr size_t kReadsPerStreamedFile = 32;
// What a channel's READs in flight may ask for plus what it holds of files not yet handed to
// the sink. The first part must fit in its receive window (sftp_channel.cc) whatever the files
// turn out to hold, so the server can always send every reply it owes; the second keeps the
// memory of hundreds of open files bounded when they are not small. A file whose next READ
// would pass this waits in the channel's starved list, except the one being streamed (its
// READs are few, and the files queued behind it wait for it) and the oldest starved file when
// the channel has no READ out (someone must go on).
constexpr uint64_t kInFlightLimit = 24 << 20;

// One file on its way: what was asked for it and what came back.
struct FileRead {
  size_t index = 0;  // in `paths`
  size_t channel = 0;
  std::string handle;
  size_t requests = 0;  // sent and not answered
  size_t reads = 0;     // READs among them
  bool stat_done = false;
  FileMeta opened;
  bool large = false;
  uint64_t next = 0;             // first offset not asked for
  uint64_t target = kFirstRead;  // read at least this far: a byte past the size, to see EOF
  uint64_t eof_at = UINT64_MAX;
  std::vector<std::pair<uint64_t, uint32_t>> gaps;  // the rest of short reads before EOF
  std::map<uint64_t, std::string> chunks;           // received, not handed to the sink
  uint64_t delivered = 0;                           // bytes handed to the sink
  bool closing = false;  // FSTAT-after and CLOSE sent (or CLOSE alone, after an error)
  std::optional<ReadDone> done;
  std::optional<Error> error;
  bool queued = false;   // waiting for the sink
  bool emitted = false;  // end() called
  bool starved = false;  // in its channel's starved list
  uint64_t held = 0;     // bytes of `chunks`
};

enum class Kind : uint8_t { open, stat_before, read, stat_after, close };

struct Request {
  size_t file;
  Kind kind;
  uint64_t offset = 0;
  uint32_t length = 0;
};

struct ChannelState {
  SftpChannel* channel = nullptr;
  std::unordered_map<uint32_t, Request> requests;
  size_t files = 0;
  uint64_t owed = 0;           // bytes the READs in flight ask for
  uint64_t held = 0;           // bytes received and not yet handed to the sink
  std::deque<size_t> starved;  // files that have a READ to send once there is room
  Clock::duration waited{};    // in poll() with requests out and no reply since
};

class Reader {
 public:
  Reader(const std::vector<SftpChannel*>& channels, const std::vector<std::string>& paths,
         ReadSink& sink, std::chrono::milliseconds timeout)
      : paths_(paths), sink_(sink), timeout_(timeout), files_(paths.size()) {
    for (auto* c : channels) {
      channels_.emplace_back();
      channels_.back().channel = c;
    }
  }

  Result<> run() {
    while (finished_ < paths_.size() && !fatal_) {
      start_files();
      for (size_t c = 0; c < channels_.size() && !fatal_; ++c) {
        auto r = channels_[c].channel->pump([&](const wire::Reply& reply) { on_reply(c, reply); });
        if (!r) return r;
      }
      if (fatal_ || finished_ == paths_.size()) break;
      start_files();  // into the room the replies just made, before waiting
      if (auto r = wait(); !r) return r;
    }
    if (fatal_) return std::unexpected(*fatal_);
    return {};
  }

 private:
  const std::string& path(const FileRead& f) const { return paths_[f.index]; }

  // Opens the next files on every channel that has room for more.
  void start_files() {
    for (size_t c = 0; c < channels_.size(); ++c) {
      feed_starved(c);
      while (channels_[c].files < kFilesPerChannel && next_path_ < paths_.size() &&
             in_flight(channels_[c]) + kFirstRead <= kInFlightLimit &&
             channels_[c].starved.empty()) {
        auto f = std::make_unique<FileRead>();
        f->index = next_path_++;
        f->channel = c;
        ++channels_[c].files;
        send(*f, Kind::open, wire::kOpen, [&](wire::PacketWriter& p) {
          p.str(path(*f)).u32(LIBSSH2_FXF_READ).u32(0);  // no attributes
        });
        files_[f->index] = std::move(f);
      }
    }
  }

  void send(FileRead& f, Kind kind, uint8_t type,
            const std::function<void(wire::PacketWriter&)>& fields, uint64_t offset = 0,
            uint32_t length = 0) {
    auto& ch = channels_[f.channel];
    const uint32_t id = ch.channel->send(type, fields);
    ch.requests.emplace(id, Request{f.index, kind, offset, length});
    ++f.requests;
    if (kind == Kind::read) ++f.reads, ch.owed += length;
  }

  static uint64_t in_flight(const ChannelState& ch) { return ch.owed + ch.held; }

  // Whether `f` may send a READ of `length` now; if not, it waits in the starved list.
  bool room_for(FileRead& f, uint32_t length) {
    auto& ch = channels_[f.channel];
    if (in_flight(ch) + length <= kInFlightLimit || streamer_ == f.index) return true;
    if (ch.owed == 0 && (feeding_ == f.index || ch.starved.empty())) return true;
    if (!f.starved) {
      f.starved = true;
      ch.starved.push_back(f.index);
    }
    return false;
  }

  // Replies or deliveries made room: starved files send the READs they were holding back,
  // oldest first.
  void feed_starved(size_t c) {
    auto& ch = channels_[c];
    while (!ch.starved.empty() && !fatal_ &&
           (ch.owed == 0 || in_flight(ch) + kChunk <= kInFlightLimit)) {
      const size_t i = ch.starved.front();
      ch.starved.pop_front();
      FileRead* f = files_[i].get();
      if (f == nullptr) continue;
      f->starved = false;
      feeding_ = i;
      if (f->next == 0 && !f->stat_done && !f->error && room_for(*f, kFirstRead)) {
        send_read(*f, 0, kFirstRead);
        f->next = kFirstRead;
      }
      advance(*f);
      feeding_ = kNone;
    }
  }

  void send_handle_request(FileRead& f, Kind kind, uint8_t type) {
    send(f, kind, type, [&](wire::PacketWriter& p) { p.str(f.handle); });
  }

  void send_read(FileRead& f, uint64_t offset, uint32_t length) {
    send(
        f, Kind::read, wire::kRead,
        [&](wire::PacketWriter& p) { p.str(f.handle).u64(offset).u32(length); }, offset, length);
  }

  void on_reply(size_t c, const wire::Reply& reply) {
    if (fatal_) return;  // the batch failed: the sink must not hear of another file
    auto& ch = channels_[c];
    ch.waited = {};
    auto it = ch.requests.find(reply.id);
    if (it == ch.requests.end()) {
      fatal_ = ch.channel->lost("receive", "sftp reply to no request");
      return;
    }
    const Request req = it->second;
    ch.requests.erase(it);
    FileRead& f = *files_[req.file];
    --f.requests;
    if (req.kind == Kind::read) --f.reads, ch.owed -= req.length;
    if (!f.error) {
      switch (req.kind) {
        case Kind::open:
          on_open(f, reply);
          break;
        case Kind::stat_before:
          on_stat_before(f, reply);
          break;
        case Kind::read:
          on_read(f, req, reply);
          break;
        case Kind::stat_after:
          on_stat_after(f, reply);
          break;
        case Kind::close:
          break;  // as before: a failed close changes nothing that was read
      }
    }
    advance(f);
    feed_starved(c);
  }

  void on_open(FileRead& f, const wire::Reply& reply) {
    wire::PacketReader r(reply.body);
    if (reply.type != wire::kHandle || (f.handle = r.str(), r.failed())) {
      f.error = wire::status_error(reply, "open", path(f));
      return;
    }
    // Asked together: most files fit in the first chunk, so one round trip brings both.
    send_handle_request(f, Kind::stat_before, wire::kFstat);
    if (room_for(f, kFirstRead)) {
      send_read(f, 0, kFirstRead);
      f.next = kFirstRead;
    }
  }

  std::optional<FileMeta> attrs_reply(FileRead& f, const wire::Reply& reply, const char* op) {
    wire::PacketReader r(reply.body);
    if (reply.type == wire::kAttrs) {
      const auto attrs = wire::read_attrs(r);
      if (!r.failed()) return meta_from_attrs(attrs);
    }
    f.error = wire::status_error(reply, op, path(f));
    return std::nullopt;
  }

  void on_stat_before(FileRead& f, const wire::Reply& reply) {
    auto meta = attrs_reply(f, reply, "stat");
    if (!meta) return;
    if (meta->type != FileType::regular) {
      f.error = Error("open", path(f), 0, "no longer a regular file");
      return;
    }
    f.opened = *meta;
    f.stat_done = true;
    // A read that ends short at or past the size is the end of the file (on_read), so reading
    // one byte past the size is enough: a chunk past it cost every file one more READ, and
    // that READ one more round trip, since it went out only when this reply came.
    f.target = std::max(f.target, meta->size + 1);
    f.large = meta->size > kWholeFileLimit;
    if (f.large) waiting_large_.push_back(f.index);
  }

  void on_read(FileRead& f, const Request& req, const wire::Reply& reply) {
    if (reply.type != wire::kData) {
      if (wire::status_code(reply) == wire::kEof) {
        f.eof_at = std::min(f.eof_at, req.offset);
      } else {
        f.error = wire::status_error(reply, "read", path(f));
      }
      return;
    }
    wire::PacketReader r(reply.body);
    const std::string_view data = r.str();
    if (r.failed() || data.empty() || data.size() > req.length) {
      f.error = Error("read", path(f), EIO, "malformed sftp read reply");
      return;
    }
    const uint64_t end = req.offset + data.size();
    // A file held whole that keeps growing while read (or a server that keeps sending) must
    // not grow our memory without bound: past this it is a file that changed while read.
    if (!f.large && end > kGrowthLimit) {
      f.error = Error("read", path(f), EIO,
                      "grew past " + format_bytes(kGrowthLimit) + " while being read", true);
      return;
    }
    f.chunks.emplace(req.offset, data);
    f.held += data.size();
    channels_[f.channel].held += data.size();
    if (data.size() < req.length) {
      // The draft promises a short read only at end of file; a server that shortens reads
      // anyway is asked for the rest, up to the size the file had when opened.
      if (f.stat_done && end < f.opened.size) {
        f.gaps.emplace_back(end, static_cast<uint32_t>(req.length - data.size()));
      } else {
        f.eof_at = std::min(f.eof_at, end);
      }
    } else if (req.offset + req.length == f.next && f.eof_at == UINT64_MAX) {
      f.target = std::max(f.target, f.next + kChunk);  // longer than it was: read on
    }
  }

  void on_stat_after(FileRead& f, const wire::Reply& reply) {
    auto meta = attrs_reply(f, reply, "stat");
    if (meta) f.done = ReadDone{*meta, now_ns(), {}};
  }

  void advance(FileRead& f) {
    if (f.error) {
      if (!f.handle.empty() && !f.closing) {
        f.closing = true;
        send_handle_request(f, Kind::close, wire::kClose);
      }
      if (!f.queued && !f.emitted) hand_over(f);
    } else {
      if (streamer_ == kNone) next_stream();
      schedule_reads(f);
      if (streamer_ == f.index) deliver_stream(f);
      if (reads_complete(f) && !f.closing) {
        f.closing = true;
        send_handle_request(f, Kind::stat_after, wire::kFstat);
        send_handle_request(f, Kind::close, wire::kClose);
      }
      if (f.done && !f.queued && !f.emitted) hand_over(f);
    }
    release_if_finished(f.index);
  }

  bool reads_complete(const FileRead& f) const {
    return f.stat_done && f.reads == 0 && f.gaps.empty() && f.eof_at != UINT64_MAX;
  }

  void schedule_reads(FileRead& f) {
    if (!f.stat_done || f.closing) return;
    if (f.large && streamer_ != f.index) return;  // its turn to stream has not come
    const size_t limit = f.large ? kReadsPerStreamedFile : kReadsPerSmallFile;
    while (f.reads < limit) {
      if (!f.gaps.empty()) {
        const auto [offset, length] = f.gaps.back();
        if (!room_for(f, length)) break;
        f.gaps.pop_back();
        if (offset < f.eof_at) send_read(f, offset, length);
      } else if (f.next < f.target && f.next < f.eof_at) {
        if (!room_for(f, kChunk)) break;
        send_read(f, f.next, kChunk);
        f.next += kChunk;
      } else {
        break;
      }
    }
  }

  // A file that is complete or failed goes to the sink now, or after the file being streamed.
  void hand_over(FileRead& f) {
    if (streamer_ == f.index) {
      end_stream(f);
    } else if (streamer_ != kNone) {
      f.queued = true;
      ready_.push_back(f.index);
    } else {
      emit(f);
    }
  }

  void emit(FileRead& f) {
    f.emitted = true;
    if (f.error) {
      sink_.end(path(f), std::unexpected(*f.error));
      return;
    }
    sink_.begin(path(f), f.opened);
    if (!deliver_chunks(f)) return;
    sink_.end(path(f), *f.done);
  }

  // Hands the contiguous chunks from `delivered` on to the sink; false if it refused them.
  bool deliver_chunks(FileRead& f) {
    while (!f.chunks.empty() && f.chunks.begin()->first == f.delivered && !fatal_) {
      std::string_view chunk = f.chunks.begin()->second;
      if (f.delivered + chunk.size() > f.eof_at) chunk = chunk.substr(0, f.eof_at - f.delivered);
      if (auto r = sink_.data(chunk); !r) fatal_ = r.error();
      f.delivered += chunk.size();
      const size_t stored = f.chunks.begin()->second.size();
      f.held -= stored;
      channels_[f.channel].held -= stored;
      f.chunks.erase(f.chunks.begin());
    }
    return !fatal_;
  }

  void deliver_stream(FileRead& f) { deliver_chunks(f); }

  // The sink is free: the first large file still waiting starts streaming.
  void next_stream() {
    while (!waiting_large_.empty() && streamer_ == kNone && !fatal_) {
      const size_t i = waiting_large_.front();
      waiting_large_.pop_front();
      // One that failed or completed while waiting is handed over as any other file.
      FileRead* f = files_[i].get();
      if (f == nullptr || f->queued || f->emitted || f->error) continue;
      streamer_ = i;
      sink_.begin(path(*f), f->opened);
      schedule_reads(*f);
      deliver_chunks(*f);
    }
  }

  void end_stream(FileRead& f) {
    f.emitted = true;
    if (f.error) {
      sink_.end(path(f), std::unexpected(*f.error));
    } else if (deliver_chunks(f)) {
      sink_.end(path(f), *f.done);
    }
    streamer_ = kNone;
    while (!ready_.empty() && !fatal_) {
      const size_t i = ready_.front();
      ready_.pop_front();
      emit(*files_[i]);
      release_if_finished(i);
    }
    next_stream();
  }

  void release_if_finished(size_t i) {
    FileRead* f = files_[i].get();
    if (f == nullptr || !f->emitted || f->requests > 0) return;
    --channels_[f->channel].files;
    channels_[f->channel].held -= f->held;  // what a failed file received and never handed over
    ++finished_;
    files_[i].reset();
  }

  // Waits until a channel can make progress; fails the batch when one has had requests
  // unanswered for the whole I/O timeout.
  Result<> wait() {
    std::vector<pollfd> fds;
    auto limit = Clock::duration(timeout_);
    bool busy = false;
    for (auto& ch : channels_) {
      fds.push_back(ch.channel->poll_fd());
      if (ch.channel->outstanding() > 0) {
        busy = true;
        limit = std::min(limit, Clock::duration(timeout_) - ch.waited);
      }
      if (ch.channel->has_unsent()) limit = Clock::duration::zero();
    }
    if (!busy && limit > Clock::duration::zero()) {
      // Nothing asked and nothing to send, yet files are missing: waiting would never end.
      return fail("read", channels_[0].channel->where(), EIO, "sftp reader stalled: " + stuck(),
                  true);
    }
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(limit).count();
    const auto before = Clock::now();
    const int n = ::poll(fds.data(), fds.size(), static_cast<int>(std::max<long>(ms, 0)));
    if (n < 0 && errno != EINTR)
      return std::unexpected(channels_[0].channel->lost("poll", "poll failed"));
    const auto waited = Clock::now() - before;
    for (auto& ch : channels_) {
      if (ch.channel->outstanding() == 0) continue;
      ch.waited += waited;
      if (ch.waited >= timeout_) {
        // The node stopped answering: its other connections must not be waited for either.
        for (auto& other : channels_) other.channel->abandon();
        return fail("read", ch.channel->where(), ETIMEDOUT,
                    "no sftp reply for " + std::to_string(timeout_.count() / 1000) + " s", true);
      }
    }
    return {};
  }

  // The first file still in flight, for the error that should never happen.
  std::string stuck() const {
    for (const auto& f : files_) {
      if (!f) continue;
      return path(*f) + " (stat " + std::to_string(f->stat_done) + ", large " +
             std::to_string(f->large) + ", next " + std::to_string(f->next) + ", target " +
             std::to_string(f->target) + ", eof " + std::to_string(f->eof_at) + ", queued " +
             std::to_string(f->queued) + ", emitted " + std::to_string(f->emitted) + ", closing " +
             std::to_string(f->closing) + ", streamer " + std::to_string(streamer_ == f->index) +
             ", requests " + std::to_string(f->requests) + ")";
    }
    return "no file";
  }

  static constexpr size_t kNone = SIZE_MAX;

  const std::vector<std::string>& paths_;
  ReadSink& sink_;
  std::chrono::milliseconds timeout_;
  std::vector<ChannelState> channels_;
  std::vector<std::unique_ptr<FileRead>> files_;  // by index in paths_, while in flight
  size_t next_path_ = 0;
  size_t finished_ = 0;
  size_t streamer_ = kNone;           // the large file the sink is receiving
  size_t feeding_ = kNone;            // the starved file feed_starved() is giving its turn
  std::deque<size_t> ready_;          // complete (or failed) files waiting for the streamer
  std::deque<size_t> waiting_large_;  // large files waiting for their turn to stream
  std::optional<Error> fatal_;
};

}  // namespace

Result<> read_pipelined(const std::vector<SftpChannel*>& channels,
                        const std::vector<std::string>& paths, ReadSink& sink,
                        std::chrono::milliseconds timeout) {
  if (paths.empty()) return {};
  return Reader(channels, paths, sink, timeout).run();
}

}  // namespace nb::fs::ssh
