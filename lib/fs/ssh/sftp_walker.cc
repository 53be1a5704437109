#include "fs/ssh/sftp_walker.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "fs/ssh/sftp_attrs.h"

namespace nb::fs::ssh {

namespace {

constexpr size_t kDirsInFlight = 32;
// Two READDIRs per directory at once: a directory of up to 100 entries (one reply, as
// sftp-server sends them) then costs one round trip, its end-of-listing arriving with it.
constexpr size_t kReaddirsInFlight = 2;
// Listings fetched ahead of the visitor and not visited yet.
constexpr size_t kListingsAhead = 512;
// More entries than any real directory holds: a server that sends more is broken or hostile,
// and must not grow our memory without bound.
constexpr size_t kMaxListing = 4'000'000;

std::string join(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

struct Entry {
  std::string name;
  FileMeta meta;
  // A symlink whose target could not be read, or a name no real directory holds.
  std::optional<Error> problem;
};

// One directory being listed: OPENDIR, READDIRs until end of listing, READLINK for each
// symlink, then CLOSE.
struct Listing {
  std::string dir;
  std::string handle;
  std::vector<Entry> entries;
  size_t requests = 0;  // OPENDIR, READDIR and READLINK requests unanswered
  size_t readdirs = 0;
  bool eof = false;
  bool closed = false;
  std::optional<Error> error;
  bool complete() const { return requests == 0 && (eof || error); }
};

enum class Kind : uint8_t { opendir, readdir, readlink, close };

struct Request {
  Listing* listing;  // null for CLOSE, whose reply nobody waits for
  Kind kind;
  size_t entry = 0;
};

class Walker {
 public:
  Walker(SftpChannel& channel, WalkVisitor& visitor, std::chrono::milliseconds timeout)
      : channel_(channel), visitor_(visitor), timeout_(timeout) {}

  // A plain depth-first walk; only the fetching of listings runs ahead of it.
  Result<> visit(const std::string& dir) {
    Listing* l = request(dir);
    while (!l->complete()) {
      if (auto r = step(); !r) return r;
    }
    std::unique_ptr<Listing> owned = std::move(listings_[dir]);
    listings_.erase(dir);
    if (l->error) {
      if (l->error->transient()) return std::unexpected(*l->error);
      visitor_.error(*l->error);
      return {};
    }
    // Sorted only now: READLINK replies, which point into the entries, may follow the end.
    std::sort(l->entries.begin(), l->entries.end(),
              [](const Entry& a, const Entry& b) { return a.name < b.name; });
    for (auto& e : l->entries) {
      const std::string path = join(dir, e.name);
      if (e.problem) {
        if (e.problem->transient()) return std::unexpected(*e.problem);
        visitor_.error(*e.problem);
        continue;
      }
      if (!visitor_.entry(path, e.meta)) {
        if (e.meta.type == FileType::directory) declined_.push_back(path + "/");
        continue;
      }
      if (e.meta.type != FileType::directory) continue;
      if (auto r = visit(path); !r) return r;
    }
    return {};
  }

  // Waits for the replies still owed (listings of declined directories, CLOSEs), so that the
  // channel is clean for the next user.
  Result<> drain() {
    while (channel_.outstanding() > 0) {
      if (auto r = step(); !r) return r;
    }
    return {};
  }

 private:
  Listing* request(const std::string& dir) {
    auto& slot = listings_[dir];
    if (slot) return slot.get();
    seen_.insert(dir);
    slot = std::make_unique<Listing>();
    slot->dir = dir;
    ++in_flight_;
    send(*slot, Kind::opendir, wire::kOpendir, [&](wire::PacketWriter& p) { p.str(dir); });
    return slot.get();
  }

  void send(Listing& l, Kind kind, uint8_t type,
            const std::function<void(wire::PacketWriter&)>& fields, size_t entry = 0) {
    const uint32_t id = channel_.send(type, fields);
    requests_.emplace(id, Request{kind == Kind::close ? nullptr : &l, kind, entry});
    if (kind != Kind::close) ++l.requests;
    if (kind == Kind::readdir) ++l.readdirs;
  }

  void send_readdir(Listing& l) {
    send(l, Kind::readdir, wire::kReaddir, [&](wire::PacketWriter& p) { p.str(l.handle); });
  }

  // Lists ahead: the subdirectories found so far, nearest to the visitor first.
  void prefetch() {
    while (in_flight_ < kDirsInFlight && listings_.size() < kListingsAhead && !ahead_.empty()) {
      std::string dir = std::move(ahead_.front());
      ahead_.pop_front();
      const bool declined = std::any_of(declined_.begin(), declined_.end(),
                                        [&](const std::string& d) { return dir.starts_with(d); });
      if (!declined && !seen_.contains(dir)) request(dir);
    }
  }

  Result<> step() {
    prefetch();
    replied_ = false;
    if (auto r = channel_.pump([&](const wire::Reply& reply) { on_reply(reply); }); !r) return r;
    if (fatal_) return std::unexpected(*fatal_);
    if (replied_) return {};
    return channel_.wait(timeout_);
  }

  void on_reply(const wire::Reply& reply) {
    replied_ = true;
    auto it = requests_.find(reply.id);
    if (it == requests_.end()) {
      fatal_ = channel_.lost("receive", "sftp reply to no request");
      return;
    }
    const Request req = it->second;
    requests_.erase(it);
    if (req.kind == Kind::close) return;  // as before: a failed close loses nothing listed
    Listing& l = *req.listing;
    --l.requests;
    switch (req.kind) {
      case Kind::opendir:
        on_opendir(l, reply);
        break;
      case Kind::readdir:
        --l.readdirs;
        on_readdir(l, reply);
        break;
      case Kind::readlink:
        on_readlink(l, req.entry, reply);
        break;
      case Kind::close:
        break;
    }
    if ((l.eof || l.error) && l.readdirs == 0 && !l.handle.empty() && !l.closed) {
      l.closed = true;
      send(l, Kind::close, wire::kClose, [&](wire::PacketWriter& p) { p.str(l.handle); });
    }
  }

  void finish(Listing& l, std::optional<Error> error) {
    if (l.eof || l.error) return;
    --in_flight_;
    if (error) {
      l.error = std::move(error);
      return;
    }
    l.eof = true;
    // Its subdirectories are listed next, first one first: the order the visitor will want.
    std::vector<std::string> subdirs;
    for (const auto& e : l.entries) {
      if (e.meta.type == FileType::directory) subdirs.push_back(e.name);
    }
    std::sort(subdirs.rbegin(), subdirs.rend());
    for (const auto& name : subdirs) ahead_.push_front(join(l.dir, name));
  }

  void on_opendir(Listing& l, const wire::Reply& reply) {
    wire::PacketReader r(reply.body);
    if (reply.type != wire::kHandle || (l.handle = r.str(), r.failed())) {
      l.handle.clear();
      finish(l, wire::status_error(reply, "list directory", l.dir));
      return;
    }
    for (size_t i = 0; i < kReaddirsInFlight; ++i) send_readdir(l);
  }

  void on_readdir(Listing& l, const wire::Reply& reply) {
    if (l.eof || l.error) return;  // the end was seen in the reply before this one
    if (wire::status_code(reply) == wire::kEof) return finish(l, std::nullopt);
    auto names = wire::read_names(reply);
    if (!names) return finish(l, wire::status_error(reply, "list directory", l.dir));
    if (l.entries.size() + names->size() > kMaxListing) {
      return finish(l, Error("list directory", l.dir, EPROTO,
                             "more than " + std::to_string(kMaxListing) + " entries"));
    }
    for (auto& n : *names) {
      if (n.name == "." || n.name == "..") continue;
      // The server names the entries; one name is one path component, or the entry would
      // land elsewhere in the snapshot than where it is.
      if (n.name.empty() || n.name.find('/') != std::string::npos) {
        l.entries.push_back(
            {n.name,
             {},
             Error("list directory", l.dir, EPROTO,
                   "the server sent an entry named \"" + n.name.substr(0, 256) + "\"")});
        continue;
      }
      l.entries.push_back({std::move(n.name), meta_from_attrs(n.attrs), std::nullopt});
      if (l.entries.back().meta.type == FileType::symlink) {
        const std::string path = join(l.dir, l.entries.back().name);
        send(
            l, Kind::readlink, wire::kReadlink, [&](wire::PacketWriter& p) { p.str(path); },
            l.entries.size() - 1);
      }
    }
    send_readdir(l);
  }

  void on_readlink(Listing& l, size_t entry, const wire::Reply& reply) {
    Entry& e = l.entries[entry];
    auto names = wire::read_names(reply);
    if (names && !names->empty()) {
      e.meta.link_target = std::move((*names)[0].name);
    } else {
      e.problem = wire::status_error(reply, "readlink", join(l.dir, e.name));
    }
  }

  SftpChannel& channel_;
  WalkVisitor& visitor_;
  std::chrono::milliseconds timeout_;
  std::unordered_map<std::string, std::unique_ptr<Listing>> listings_;  // not visited yet
  std::unordered_map<uint32_t, Request> requests_;
  std::deque<std::string> ahead_;         // subdirectories to list ahead of the visitor
  std::unordered_set<std::string> seen_;  // directories requested once already
  std::vector<std::string> declined_;     // "dir/" prefixes the visitor did not want
  size_t in_flight_ = 0;                  // listings not at their end yet
  bool replied_ = false;
  std::optional<Error> fatal_;
};

}  // namespace

Result<> walk_pipelined(SftpChannel& channel, const std::string& root, WalkVisitor& visitor,
                        std::chrono::milliseconds timeout) {
  Walker walker(channel, visitor, timeout);
  if (auto r = walker.visit(root); !r) return r;
  return walker.drain();
}

}  // namespace nb::fs::ssh
