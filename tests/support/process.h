// Runs a program as a child process and collects its exit code and output, for tests that
// exercise nodebackupd and nodebackupctl as an operator would.
#pragma once

#include <string>
#include <vector>

namespace nb::test {

struct ProcessResult {
  int exit_code = -1;  // -1: killed by a signal
  std::string out;
  std::string err;
};

ProcessResult run_process(const std::vector<std::string>& argv);

}  // namespace nb::test
