// The error for repository bytes that fail their own checks (a pack, index, key file, listing
// or record that is truncated, malformed or fails authentication): kind integrity, so a
// caller tells corruption from an I/O failure without reading messages.
#pragma once

#include <string>
#include <utility>

#include "util/error.h"

namespace nb::repo {

inline std::unexpected<Error> corrupt(std::string op, std::string path, int code,
                                      std::string detail) {
  return std::unexpected<Error>(Error(std::move(op), std::move(path), code, std::move(detail))
                                    .with_kind(ErrorKind::integrity));
}

}  // namespace nb::repo
