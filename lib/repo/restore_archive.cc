#include "repo/restore_archive.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "repo/browse.h"
#include "repo/chunk_list.h"
#include "repo/file_content.h"
#include "repo/format/chunker.h"

namespace nb::repo {

namespace {

using Sink = std::function<Result<>(std::string_view)>;

struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using EntryPtr = std::unique_ptr<archive_entry, EntryDeleter>;

class ArchiveWriter {
 public:
  ArchiveWriter(const Repository& repo, const Sink& out, const std::string& control,
                ArchiveReport& report)
      : repo_(repo), out_(out), control_(control), report_(report), a_(archive_write_new()) {}
  ~ArchiveWriter() { archive_write_free(a_); }
  ArchiveWriter(const ArchiveWriter&) = delete;
  ArchiveWriter& operator=(const ArchiveWriter&) = delete;

  Result<> open() {
    // pax: unlimited names and sizes, nanosecond times, xattrs and sparse maps. Names that are
    // libarchive cannot convert to UTF-8 are written as raw bytes (hdrcharset=BINARY), as the
    // node gave them.
    // Extended attributes as SCHILY.xattr records only, which GNU tar reads (it warns about
    // libarchive's own LIBARCHIVE.xattr copies).
    if (archive_write_set_format_pax(a_) != ARCHIVE_OK ||
        archive_write_set_format_option(a_, "pax", "xattrheader", "SCHILY") != ARCHIVE_OK ||
        archive_write_open(a_, this, nullptr, &ArchiveWriter::write_cb, nullptr) != ARCHIVE_OK) {
      return std::unexpected(error("open"));
    }
    return {};
  }

  Result<> close() {
    if (archive_write_close(a_) != ARCHIVE_OK) return std::unexpected(error("finish"));
    return {};
  }

  // The control members (extract_on_node.h): the discard list, the regular files, the proof.
  Result<> control() {
    std::string discard;
    for (const auto& member : report_.discard) discard += member + '\0';
    std::sort(files_.begin(), files_.end());  // bytewise, as `LC_ALL=C sort -z`
    std::string files;
    for (const auto& record : files_) files += record + '\0';
    if (auto r = last(control_ + ".discard", discard); !r) return r;
    if (auto r = last(control_ + ".files", files); !r) return r;
    return last(control_, "complete");
  }

  // A plain file at the root, after everything else.
  Result<> last(const std::string& member, const std::string& content) {
    TreeEntry e;
    e.mode = 0600;
    e.size = content.size();
    auto r = header(member, e, nullptr);
    if (!r) return std::unexpected(r.error());
    if (!*r) return fail("write restore archive", member, 0, "cannot be archived");
    return data(content, member);
  }

  // A directory above a restored path: the snapshot's entry where it has one. False when it
  // could not be archived (reported): the path below it is left out.
  Result<bool> parent(const std::string& member, const Result<TreeEntry>& described) {
    if (!emitted_.insert(member).second) return true;
    TreeEntry e;
    if (described && described->type == FileType::directory) {
      e = *described;
    } else {
      e.type = FileType::directory;
      e.mode = 0700;
      e.mtime_ns = kUndescribedMtime;
    }
    return header(member, e, nullptr);
  }

  // `e` at `member` and, for a directory, everything below it.
  Result<> entry(const std::string& member, const TreeEntry& e, const std::string& shown) {
    switch (e.type) {
      case FileType::regular:
        return file(member, e, shown);
      case FileType::directory: {
        if (emitted_.insert(member).second) {
          auto r = header(member, e, nullptr);
          if (!r) return std::unexpected(r.error());
          if (!*r) return {};
          ++report_.restore.directories;
        }
        return children(member, e, shown);
      }
      case FileType::symlink:
      case FileType::fifo:
      case FileType::char_device:
      case FileType::block_device: {
        auto r = header(member, e, nullptr);
        if (!r) return std::unexpected(r.error());
        if (!*r) return {};
        ++(e.type == FileType::symlink ? report_.restore.symlinks : report_.restore.specials);
        return {};
      }
      default:
        report_.restore.errors.push_back(Error("restore", shown, 0, "unsupported entry type"));
        return {};
    }
  }

  // The children of `dir` (a member, or "" for the target's root).
  Result<> children(const std::string& member, const TreeEntry& dir, const std::string& shown) {
    auto tree = load_tree(repo_, *dir.tree);
    if (!tree) {
      report_.restore.errors.push_back(tree.error());
      return {};
    }
    std::set<std::string_view> seen;
    for (const auto& child : tree->entries) {
      const std::string child_shown = shown == "/" ? "/" + child.name : shown + "/" + child.name;
      // One name once: a crafted listing naming a symlink and a directory alike could
      // otherwise have the node's tar write through the one into the other. The control
      // members' names are the writer's own.
      if (!safe_name(child.name) || !seen.insert(child.name).second ||
          (member.empty() && !control_.empty() && child.name.starts_with(control_))) {
        report_.restore.errors.push_back(
            Error("restore", child_shown, 0, "unsafe or repeated entry name refused"));
        continue;
      }
      const std::string child_member = member.empty() ? child.name : member + "/" + child.name;
      if (auto r = entry(child_member, child, child_shown); !r) return r;
    }
    return {};
  }

 private:
  static la_ssize_t write_cb(archive* a, void* self, const void* buffer, size_t size) {
    auto* w = static_cast<ArchiveWriter*>(self);
    auto r = w->out_({static_cast<const char*>(buffer), size});
    if (!r) {
      w->sink_error_ = r.error();
      archive_set_error(a, EIO, "%s", "the node stopped reading");
      return -1;
    }
    return static_cast<la_ssize_t>(size);
  }

  Error error(const std::string& op) {
    if (sink_error_) return *sink_error_;
    const char* why = archive_error_string(a_);
    return Error("write restore archive", op, archive_errno(a_), why ? why : "libarchive failed");
  }

  // The header of `e` at `member`; `regions` is the data of a sparse file. False when this entry
  // alone could not be archived (reported).
  Result<bool> header(const std::string& member, const TreeEntry& e,
                      const std::vector<std::pair<uint64_t, uint64_t>>* regions,
                      const std::string& hardlink = {}) {
    EntryPtr entry(archive_entry_new());
    archive_entry* x = entry.get();
    archive_entry_set_pathname(x, member.c_str());
    archive_entry_set_perm(x, e.mode & 07777);
    archive_entry_set_uid(x, e.uid);
    archive_entry_set_gid(x, e.gid);
    archive_entry_set_mtime(x, e.mtime_ns / 1'000'000'000, e.mtime_ns % 1'000'000'000);
    for (const auto& xattr : e.xattrs) {
      archive_entry_xattr_add_entry(x, xattr.name.c_str(), xattr.value.data(), xattr.value.size());
    }
    switch (e.type) {
      case FileType::regular:
        archive_entry_set_filetype(x, AE_IFREG);
        if (!hardlink.empty()) {
          archive_entry_set_hardlink(x, hardlink.c_str());
          archive_entry_set_size(x, 0);
          break;
        }
        archive_entry_set_size(x, static_cast<la_int64_t>(e.size));
        if (regions) {
          for (const auto& [offset, length] : *regions) {
            archive_entry_sparse_add_entry(x, static_cast<la_int64_t>(offset),
                                           static_cast<la_int64_t>(length));
          }
        }
        break;
      case FileType::directory:
        archive_entry_set_filetype(x, AE_IFDIR);
        break;
      case FileType::symlink:
        archive_entry_set_filetype(x, AE_IFLNK);
        archive_entry_set_symlink(x, e.target.c_str());
        break;
      case FileType::fifo:
        archive_entry_set_filetype(x, AE_IFIFO);
        break;
      case FileType::char_device:
      case FileType::block_device:
        archive_entry_set_filetype(x, e.type == FileType::char_device ? AE_IFCHR : AE_IFBLK);
        archive_entry_set_rdev(x, static_cast<dev_t>(e.rdev));
        break;
      default:
        break;
    }
    const int r = archive_write_header(a_, x);
    if (r == ARCHIVE_FAILED) {  // this entry only (a name or value the format cannot hold)
      const char* why = archive_error_string(a_);
      report_.restore.errors.push_back(
          Error("restore", member, 0, why ? why : "cannot be archived"));
      return false;
    }
    if (r < ARCHIVE_WARN) return std::unexpected(error(member));
    return true;
  }

  Result<> data(std::string_view bytes, const std::string& member) {
    while (!bytes.empty()) {
      const la_ssize_t n = archive_write_data(a_, bytes.data(), bytes.size());
      if (n <= 0) return std::unexpected(error(member));
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return {};
  }

  Result<> file(const std::string& member, const TreeEntry& e, const std::string& shown) {
    if (e.links > 1) {
      const auto it = links_.find({e.dev, e.inode});
      // A listing is not trusted to name the same inode for different content: such a path
      // carries its own content.
      if (it != links_.end() && it->second.size == e.size && e.xxh3 && it->second.xxh3 == *e.xxh3) {
        auto r = header(member, e, nullptr, it->second.member);
        if (!r) return std::unexpected(r.error());
        if (!*r) return {};
        ++report_.restore.hardlinks;
        files_.push_back(std::to_string(e.size) + " " + member);
        return {};
      }
    }
    // Missing content is found before the header, so the entry is simply left out.
    auto chunks = file_chunks(repo_, e);
    if (!chunks) {
      report_.restore.errors.push_back(
          Error("restore", shown, chunks.error().code(), chunks.error().message()));
      return {};
    }
    for (const auto& id : *chunks) {
      if (!repo_.has_blob(id)) {
        report_.restore.errors.push_back(
            Error("restore", shown, 0, "refused: chunk " + id.hex() + " is missing"));
        return {};
      }
    }
    // A size its chunks cannot hold is a crafted listing: refused before the header, which
    // would make the archive carry that many zeros.
    if (e.size > chunks->size() * ChunkSizes::kMax) {
      report_.restore.errors.push_back(
          Error("restore", shown, 0, "refused: its recorded size exceeds what its chunks hold"));
      return {};
    }
    std::optional<std::vector<std::pair<uint64_t, uint64_t>>> regions;
    if (e.sparse) {
      regions = data_regions(e, shown);
      if (!regions) return {};
    }
    auto headed = header(member, e, regions ? &*regions : nullptr);
    if (!headed) return std::unexpected(headed.error());
    if (!*headed) return {};
    // The sparse writer takes the whole content and leaves the holes out itself. Content
    // beyond the recorded size (a crafted listing) is not sent: the file then fails its
    // check below and is discarded.
    Result<> sink_failed;
    uint64_t sent = 0;
    auto written = read_file_content(repo_, e, shown, [&](std::string_view chunk) -> Result<> {
      chunk = chunk.substr(0, static_cast<size_t>(std::min<uint64_t>(chunk.size(), e.size - sent)));
      sent += chunk.size();
      auto r = data(chunk, member);
      if (!r) sink_failed = r;
      return r;
    });
    if (!sink_failed) return sink_failed;
    if (!written) {
      // A chunk that failed verification half-way: the header promised `size` bytes, which
      // libarchive completes with zeros, and the node deletes the member.
      report_.restore.errors.push_back(written.error());
      report_.discard.push_back(member);
      return {};
    }
    ++report_.restore.files;
    report_.restore.bytes += e.size;
    files_.push_back(std::to_string(e.size) + " " + member);
    if (e.links > 1) links_[{e.dev, e.inode}] = Linked{member, e.size, *e.xxh3};
    return {};
  }

  // Where a sparse file has data, from its chunks (zero chunks are holes): a first pass over
  // the content, as the map precedes the data in the archive.
  std::optional<std::vector<std::pair<uint64_t, uint64_t>>> data_regions(const TreeEntry& e,
                                                                         const std::string& shown) {
    std::vector<std::pair<uint64_t, uint64_t>> regions;
    uint64_t offset = 0;
    auto read = read_file_content(repo_, e, shown, [&](std::string_view chunk) -> Result<> {
      if (!all_zero(chunk)) {
        if (!regions.empty() && regions.back().first + regions.back().second == offset) {
          regions.back().second += chunk.size();
        } else {
          regions.emplace_back(offset, chunk.size());
        }
      }
      offset += chunk.size();
      return {};
    });
    if (!read) {
      report_.restore.errors.push_back(read.error());
      return std::nullopt;
    }
    // A map ends with the file's size, so a trailing hole is a size, not zeros.
    regions.emplace_back(e.size, 0);
    return regions;
  }

  struct Linked {
    std::string member;
    uint64_t size = 0;
    Hash xxh3;
  };

  const Repository& repo_;
  const Sink& out_;
  const std::string& control_;
  ArchiveReport& report_;
  archive* a_;
  std::optional<Error> sink_error_;
  std::set<std::string> emitted_;
  std::vector<std::string> files_;  // "SIZE MEMBER" of every regular file written // directory
                                    // members
  std::map<std::pair<uint64_t, uint64_t>, Linked> links_;  // by (dev, inode)
};

}  // namespace

Result<ArchiveReport> write_restore_archive(const Repository& repo, const SnapshotRecord& record,
                                            const std::vector<std::string>& paths,
                                            const std::string& control,
                                            const std::function<Result<>(std::string_view)>& out) {
  ArchiveReport report;
  ArchiveWriter writer(repo, out, control, report);
  if (auto r = writer.open(); !r) return std::unexpected(r.error());
  std::vector<std::string> wanted = paths;
  if (wanted.empty()) {
    for (const auto& root : record.roots) wanted.push_back(root.path);
  }
  for (const auto& path : wanted) {
    auto parts = path_components(path);
    auto entry = parts ? find_entry(repo, record, path) : std::unexpected(parts.error());
    if (entry && !control.empty() && !parts->empty() && parts->front().starts_with(control)) {
      entry = fail("restore", path, 0, "unsafe entry name refused");
    }
    if (!entry) {
      report.restore.errors.push_back(entry.error());
      continue;
    }
    Result<> r;
    if (parts->empty()) {  // the node's "/" itself: its children go straight into the target
      if (entry->type == FileType::directory) r = writer.children("", *entry, "/");
    } else {
      std::string member;
      std::string above;
      bool described = true;
      for (size_t i = 0; described && i + 1 < parts->size(); ++i) {
        member += (member.empty() ? "" : "/") + (*parts)[i];
        above += "/" + (*parts)[i];
        auto parent = writer.parent(member, find_entry(repo, record, above));
        if (!parent) return std::unexpected(parent.error());
        described = *parent;
      }
      member += (member.empty() ? "" : "/") + parts->back();
      if (described) r = writer.entry(member, *entry, path);
    }
    if (!r) return std::unexpected(r.error());
  }
  if (!control.empty()) {
    if (auto r = writer.control(); !r) return std::unexpected(r.error());
  }
  if (auto r = writer.close(); !r) return std::unexpected(r.error());
  return report;
}

}  // namespace nb::repo
