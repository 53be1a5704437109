// Integers read from JSON that a file, a repository or a peer supplied. nlohmann's get<T>() on
// a number that is a float, negative for an unsigned T, or out of T's range converts with
// undefined behaviour (the fuzzer found a listing with a 22-digit mtime); this throws instead,
// and the decoders that call it turn the exception into an Error.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace nb {

template <typename T>
T integer_field(const nlohmann::json& j, const char* key) {
  const auto& v = j.at(key);
  if (v.is_number_unsigned()) {
    const auto u = v.get<uint64_t>();
    if (std::in_range<T>(u)) return static_cast<T>(u);
  } else if (v.is_number_integer()) {
    const auto s = v.get<int64_t>();
    if (std::in_range<T>(s)) return static_cast<T>(s);
  }
  throw std::invalid_argument(std::string("\"") + key + "\" is not an integer in range");
}

}  // namespace nb
