// File names are bytes, JSON strings are UTF-8. These helpers let names that are not valid
// UTF-8 travel through JSON without loss: such a name is written in a readable lossy form
// plus its exact bytes in hex.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace nb {

bool valid_utf8(std::string_view text);

// Invalid UTF-8 bytes shown as \xNN; valid text unchanged.
std::string printable(std::string_view text);

std::string hex_encode(std::string_view bytes);
std::optional<std::string> hex_decode(std::string_view hex);
// 0-15 for a lowercase hex digit, -1 otherwise. Inline: the hash store's loader calls it for
// every digit of a million hashes.
inline int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace nb

namespace nb {

// Appends `text` (valid UTF-8) as a quoted JSON string. The hot writers (hash store, listings)
// emit JSON directly rather than through a DOM: building nlohmann objects for 100,000 entries
// cost more than the whole walk of an unchanged node.
void append_json_string(std::string& out, std::string_view text);

}  // namespace nb
