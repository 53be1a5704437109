// The driver of the fuzz targets. Built with -fsanitize=fuzzer (scripts/fuzz.sh, NB_LIBFUZZER)
// it is a libFuzzer binary running the target NB_FUZZ_TARGET names; built by the ordinary
// compiler (the test build) it replays the files it is given, so CI runs every saved seed and
// crash input as a regression test.
//   NB_FUZZ_TARGET=T nodebackup_fuzz [libFuzzer options] CORPUS...    (NB_LIBFUZZER)
//   nodebackup_fuzz TARGET FILE|DIR...       replay each file (a DIR: each file in it)
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/fuzz_targets.h"

namespace {

const nb::fuzz::Target* find_target(const char* name) {
  for (const auto* t = nb::fuzz::kTargets; t->name != nullptr; ++t) {
    if (std::strcmp(t->name, name) == 0) return t;
  }
  return nullptr;
}

[[maybe_unused]] int replay(const nb::fuzz::Target& target, const std::vector<std::string>& args) {
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

#ifdef NB_LIBFUZZER

namespace {
const nb::fuzz::Target* fuzzed = nullptr;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* name = std::getenv("NB_FUZZ_TARGET");
  fuzzed = name == nullptr ? nullptr : find_target(name);
  if (fuzzed == nullptr) {
    std::fprintf(stderr, "NB_FUZZ_TARGET must name a target\n");
    std::exit(2);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzzed->run(data, size);
  return 0;
}

#else

int main(int argc, char** argv) {
  const auto* target = argc >= 3 ? find_target(argv[1]) : nullptr;
  if (target == nullptr) {
    std::fprintf(stderr, "usage: %s TARGET FILE|DIR...; targets:", argv[0]);
    for (const auto* t = nb::fuzz::kTargets; t->name != nullptr; ++t) {
      std::fprintf(stderr, " %s", t->name);
    }
    std::fprintf(stderr, "\n");
    return 2;
  }
  return replay(*target, std::vector<std::string>(argv + 2, argv + argc));
}

#endif
