// The two stream formats of the exec transport, read from what the real GNU tools produce:
// find's NUL-separated records and tar's pax archives.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstdlib>
#include <fstream>
#include <map>

#include "fs/ssh/find_records.h"
#include "fs/ssh/tar_stream.h"
#include "support/temp_dir.h"
#include "util/clock.h"

using namespace nb;
using namespace nb::test;

namespace {

// Feeds `data` in chunks of `step` bytes, so records and headers straddle chunk borders.
template <typename Parser>
Result<> feed_in_chunks(Parser& parser, const std::string& data, size_t step) {
  for (size_t i = 0; i < data.size(); i += step) {
    if (auto r = parser.feed(std::string_view(data).substr(i, step)); !r) return r;
  }
  return {};
}

// Hands `data` to read_tar in pieces of `step` bytes, as the exec session does.
Result<uint64_t> read_in_pieces(const std::string& data, size_t step,
                                const fs::ssh::TarCallbacks& callbacks) {
  size_t at = 0;
  return fs::ssh::read_tar(
      [&]() -> Result<std::string_view> {
        if (at >= data.size()) return fail("read", "test", EIO, "end of input");
        const auto piece = std::string_view(data).substr(at, step);
        at += piece.size();
        return piece;
      },
      callbacks, "test");
}

std::vector<std::string> awkward_names(const TempDir& dir) {
  return {dir / "plain",
          dir / "with space",
          dir / "new\nline",
          dir / "-dash",
          dir / std::string("caf\xe9\xff"),
          dir / std::string(150, 'x'),
          dir / "sub/long/" + std::string(120, 'y')};
}

}  // namespace

TEST_CASE("find records parse for any file name, in any chunking", "[formats]") {
  TempDir dir;
  const auto names = awkward_names(dir);
  for (const auto& n : names) write_file(n, "data of " + n, 7200);
  const std::string out = dir / "find.out";
  REQUIRE(std::system(("find " + dir.path() + " -printf '" + fs::ssh::kFindFormat + "' > " + out)
                          .c_str()) == 0);
  const std::string stream = read_whole(out);
  for (size_t step : {1, 7, 4096}) {
    std::map<std::string, fs::FileMeta> seen;
    fs::ssh::FindRecordParser parser([&](const std::string& path, const fs::FileMeta& meta) {
      seen[path] = meta;
      return Result<>{};
    });
    REQUIRE(feed_in_chunks(parser, stream, step));
    CHECK(parser.complete());
    for (const auto& n : names) {
      INFO(n);
      REQUIRE(seen.contains(n));
      struct ::stat st;
      REQUIRE(::lstat(n.c_str(), &st) == 0);
      CHECK(seen[n].type == fs::FileType::regular);
      CHECK(seen[n].size == static_cast<uint64_t>(st.st_size));
      CHECK(seen[n].inode == st.st_ino);
      CHECK(seen[n].mtime_ns == int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec);
      CHECK(seen[n].ctime_ns == int64_t{st.st_ctim.tv_sec} * 1'000'000'000 + st.st_ctim.tv_nsec);
    }
  }
}

TEST_CASE("tar pax archives parse: long and non-UTF-8 names, contents, ns times", "[formats]") {
  TempDir dir;
  const auto names = awkward_names(dir);
  std::string list;
  for (const auto& n : names) {
    write_file(n, std::string(1000 + n.size(), 'z') + n, 7200);
    list += n + '\0';
  }
  write_file(dir / "list", list);
  const std::string out = dir / "archive.tar";
  REQUIRE(std::system(("tar --null --verbatim-files-from --no-recursion --absolute-names "
                       "--format=posix -c -f " +
                       out + " -T " + dir / "list")
                          .c_str()) == 0);
  const std::string archive = read_whole(out);
  for (size_t step : {1, 511, 65536}) {
    std::map<std::string, std::pair<fs::FileMeta, std::string>> members;
    std::string current;
    auto used = read_in_pieces(archive + "\ntrailer", step,
                               {.begin =
                                    [&](const fs::ssh::TarMember& m) {
                                      current = m.path;
                                      members[m.path].first = m.meta;
                                      return Result<>{};
                                    },
                                .data =
                                    [&](std::string_view chunk) {
                                      members[current].second.append(chunk);
                                      return Result<>{};
                                    }});
    REQUIRE(used);
    // It stops at the end-of-archive marker: what follows (the record's zero padding, then
    // the session's trailer) is left to the session.
    CHECK(*used <= archive.size());
    CHECK(archive.find_first_not_of('\0', *used) == std::string::npos);
    REQUIRE(members.size() == names.size());
    for (const auto& n : names) {
      INFO(n);
      REQUIRE(members.contains(n));
      CHECK(members[n].second == read_whole(n));
      struct ::stat st;
      REQUIRE(::lstat(n.c_str(), &st) == 0);
      CHECK(members[n].first.mtime_ns ==
            int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec);
    }
  }
}

TEST_CASE("a corrupt tar header is an error, not a crash", "[formats]") {
  std::string junk(1024, 'j');
  auto r = read_in_pieces(junk, 100,
                          {.begin = [](const fs::ssh::TarMember&) { return Result<>{}; },
                           .data = [](std::string_view) { return Result<>{}; }});
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == EPROTO);
}

TEST_CASE("tar streams carry xattrs, ACLs, capabilities, holes and device numbers", "[formats]") {
  TempDir dir;
  const std::string file = dir / "file", sparse = dir / "sparse", fifo = dir / "fifo";
  write_file(file, "content");
  REQUIRE(std::system(("setfattr -n user.note -v hello " + file).c_str()) == 0);
  REQUIRE(std::system(("setfacl -m u:nobody:r " + file).c_str()) == 0);
  {  // 8 MiB with 4 KiB of data in the middle
    std::ofstream out(sparse);
    out.seekp(4 << 20);
    out << std::string(4096, 's');
    out.seekp((8 << 20) - 1);
    out << '\0';
  }
  REQUIRE(std::system(("truncate -s 8M " + sparse + " && fallocate -d " + sparse).c_str()) == 0);
  REQUIRE(::mkfifo(fifo.c_str(), 0640) == 0);
  const std::string list = file + '\0' + sparse + '\0' + fifo + '\0' + "/dev/null" + '\0';
  write_file(dir / "list", list);
  const std::string out = dir / "archive.tar";
  REQUIRE(std::system(("tar --null --verbatim-files-from --no-recursion --absolute-names "
                       "--format=posix --xattrs --xattrs-include='*' --sparse "
                       "--hard-dereference -c -f " +
                       out + " -T " + dir / "list")
                          .c_str()) == 0);
  std::map<std::string, fs::ssh::TarMember> members;
  std::map<std::string, std::string> contents;
  std::string current;
  auto used = read_in_pieces(read_whole(out), 4096,
                             {.begin =
                                  [&](const fs::ssh::TarMember& m) {
                                    current = m.path;
                                    members[m.path] = m;
                                    return Result<>{};
                                  },
                              .data =
                                  [&](std::string_view chunk) {
                                    contents[current].append(chunk);
                                    return Result<>{};
                                  }});
  REQUIRE(used);
  REQUIRE(members.size() == 4);
  const auto& f = members[file];
  std::map<std::string, std::string> xattrs;
  for (const auto& x : f.xattrs) xattrs[x.name] = x.value;
  CHECK(xattrs["user.note"] == "hello");
  CHECK(xattrs.contains("system.posix_acl_access"));
  CHECK(contents[file] == "content");
  CHECK(members[sparse].meta.sparse);
  CHECK(members[sparse].meta.size == 8 << 20);
  CHECK(contents[sparse] == read_whole(sparse));  // holes given back as zeros
  CHECK(members[fifo].meta.type == FileType::fifo);
  CHECK(members["/dev/null"].meta.type == FileType::char_device);
  CHECK(members["/dev/null"].rdev == makedev(1, 3));
}

TEST_CASE("decimal seconds to nanoseconds", "[formats]") {
  CHECK(parse_decimal_seconds("1700000000.1234567890") == 1700000000123456789);
  CHECK(parse_decimal_seconds("1700000000") == 1700000000000000000);
  CHECK(parse_decimal_seconds("12.5") == 12500000000);
  CHECK_FALSE(parse_decimal_seconds("x.5"));
}
