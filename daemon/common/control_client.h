// The client side of the control socket (DESIGN §7), for nodebackupctl: one JSON object per
// line each way, blocking, with a deadline per reply.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/file.h"

namespace nb {

class ControlClient {
 public:
  // Fails with the errno of connect() when no daemon listens at `path`.
  static Result<ControlClient> connect(const std::string& path);

  Result<> send(const nlohmann::json& request);
  // The next reply line; `timeout` unset waits as long as it takes (a run being waited for).
  Result<nlohmann::json> receive(std::optional<std::chrono::milliseconds> timeout);

 private:
  ControlClient(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}

  std::string path_;
  UniqueFd fd_;
  std::string buffered_;
};

}  // namespace nb
