// Decoding listings in the exact form encode_tree() writes, without a JSON DOM.
#pragma once

#include <optional>
#include <string_view>

#include "repo/tree.h"

namespace nb::repo {

// The listing, or nullopt when `data` is not in encode_tree()'s exact form (then the general
// JSON decoder decides).
std::optional<Tree> decode_canonical_tree(std::string_view data);

}  // namespace nb::repo
