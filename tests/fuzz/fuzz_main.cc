// The driver of the fuzz targets. Built by afl-g++-fast (scripts/fuzz.sh) it runs one target
// in AFL++'s persistent mode; built by the ordinary compiler (the test build) it replays the
// files it is given, so CI runs every saved seed and crash input as a regression test.
//   nodebackup_fuzz TARGET                       under afl-fuzz: input from AFL++
//   nodebackup_fuzz TARGET FILE|DIR...           replay each file (a DIR: each file in it)
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/fuzz_targets.h"

#ifdef __AFL_FUZZ_TESTCASE_LEN
__AFL_FUZZ_INIT();
#endif

namespace {

const nb::fuzz::Target* find_target(const char* name) {
  for (const auto* t = nb::fuzz::kTargets; t->name != nullptr; ++t) {
    if (std::strcmp(t->name, name) == 0) return t;
  }
  return nullptr;
}

int replay(const nb::fuzz::Target& target, const std::vector<std::string>& args) {
  std::vector<std::filesystem::path> files;
  for (const auto& arg : args) {
    if (!std::filesystem::exists(arg)) continue;  // no crash inputs saved for this target
    if (std::filesystem::is_directory(arg)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(arg)) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
    } else {
      files.emplace_back(arg);
    }
  }
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    target.run(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  }
  std::printf("%s: %zu inputs replayed, 0 crashed\n", target.name, files.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const auto* target = argc >= 2 ? find_target(argv[1]) : nullptr;
  if (target == nullptr) {
    std::fprintf(stderr, "usage: %s TARGET [FILE|DIR...]; targets:", argv[0]);
    for (const auto* t = nb::fuzz::kTargets; t->name != nullptr; ++t) {
      std::fprintf(stderr, " %s", t->name);
    }
    std::fprintf(stderr, "\n");
    return 2;
  }
  if (argc > 2) return replay(*target, std::vector<std::string>(argv + 2, argv + argc));
#ifdef __AFL_FUZZ_TESTCASE_LEN
  const unsigned char* buf = __AFL_FUZZ_TESTCASE_BUF;
  while (__AFL_LOOP(100000)) target->run(buf, static_cast<size_t>(__AFL_FUZZ_TESTCASE_LEN));
  return 0;
#else
  std::fprintf(stderr, "%s: not built for AFL++; give input files to replay\n", argv[0]);
  return 2;
#endif
}
