// JSON form of a tree entry, shared by listings and snapshot records.
#pragma once

#include <nlohmann/json.hpp>

#include "repo/tree.h"

namespace nb::repo {

// Listings are encoded directly, not through a DOM: every run encodes every directory of the
// node (to find out that nothing changed), and building nlohmann objects for 100,000 entries
// took longer than walking them.
void append_entry_json(std::string& out, const TreeEntry& entry);
// Throws nlohmann::json::exception or std::invalid_argument on a malformed entry; callers
// turn that into an Error naming the object.
TreeEntry entry_from_json(const nlohmann::json& j);

// A byte string as JSON: `key` if valid UTF-8, else `key_hex`.
void put_bytes(nlohmann::json& j, const char* key, const std::string& bytes);
std::string get_bytes(const nlohmann::json& j, const char* key);

}  // namespace nb::repo
