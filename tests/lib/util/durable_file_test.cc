// DurableFile: what a streamed durable write shows at its path, and when.
#include <catch2/catch.hpp>

#include <filesystem>

#include "support/temp_dir.h"
#include "util/file.h"

using namespace nb;
using namespace nb::test;

TEST_CASE("a durable file appears whole at commit, and not at all if abandoned", "[util]") {
  TempDir dir;
  const std::string path = dir / "out";
  REQUIRE(write_file_durably(path, "old"));
  {
    auto file = DurableFile::create(path);
    REQUIRE(file);
    REQUIRE(file->write("new "));
    REQUIRE(file->write("content"));
    CHECK(read_file(path).value() == "old");  // nothing visible before commit
    REQUIRE(file->commit());
  }
  CHECK(read_file(path).value() == "new content");
  {
    auto file = DurableFile::create(path);
    REQUIRE(file);
    REQUIRE(file->write("never committed"));
  }
  CHECK(read_file(path).value() == "new content");
  // No temporary file is left behind either way.
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                      std::filesystem::directory_iterator()) == 1);
}
