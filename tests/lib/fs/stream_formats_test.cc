// The two stream formats of the exec transport, read from what the real GNU tools produce:
// find's NUL-separated records and tar's pax archives.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <map>

#include "fs/ssh/find_records.h"
#include "fs/ssh/tar_reader.h"
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
    fs::ssh::TarReader tar({.begin =
                                [&](const std::string& path, const fs::FileMeta& meta) {
                                  current = path;
                                  members[path].first = meta;
                                  return Result<>{};
                                },
                            .data =
                                [&](std::string_view chunk) {
                                  members[current].second.append(chunk);
                                  return Result<>{};
                                },
                            .end = [] { return Result<>{}; }});
    REQUIRE(feed_in_chunks(tar, archive, step));
    CHECK(tar.finished());
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
  fs::ssh::TarReader tar(
      {.begin = [](const std::string&, const fs::FileMeta&) { return Result<>{}; },
       .data = [](std::string_view) { return Result<>{}; },
       .end = [] { return Result<>{}; }});
  auto r = tar.feed(junk);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message(), Catch::Contains("checksum"));
}

TEST_CASE("decimal seconds to nanoseconds", "[formats]") {
  CHECK(parse_decimal_seconds("1700000000.1234567890") == 1700000000123456789);
  CHECK(parse_decimal_seconds("1700000000") == 1700000000000000000);
  CHECK(parse_decimal_seconds("12.5") == 12500000000);
  CHECK_FALSE(parse_decimal_seconds("x.5"));
}
