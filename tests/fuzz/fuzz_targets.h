// The fuzz targets: one per parser of bytes nodebackup does not control (from a node, a
// client, or a file an operator or a crash may have damaged). Each takes any input and must
// return, never crash, throw or hang; fuzz_main.cc drives them under AFL++ or replays files.
#pragma once

#include <cstddef>
#include <cstdint>

namespace nb::fuzz {

struct Target {
  const char* name;
  void (*run)(const uint8_t* data, size_t size);
};

// Every target, ending with {nullptr, nullptr}.
extern const Target kTargets[];

}  // namespace nb::fuzz
