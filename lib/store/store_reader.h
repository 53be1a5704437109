// Reading file_hashes.json. Two readers share one meaning of the file:
//
// - ShapeReader reads the shape the store itself writes (DESIGN §4, in any key order and
//   whitespace) as it streams in, in blocks, at a few hundred MB/s. A store of 1,000,000 entries
//   is ~175 MB: read whole through nlohmann's SAX parser it took 5.3 s and twice its size in
//   memory at once (the text and the map).
// - Anything outside that shape (a hand-edited file, an unknown field type, a truncated file) is
//   given to nlohmann's SAX parser on the whole text, which decides and names the problem.
//
// Both fill the same structure with the same values; the hash_store fuzz target checks that
// every input ShapeReader accepts yields what the general reader yields.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/hash_store.h"
#include "util/error.h"

namespace nb::store {

using LoadedNodes = std::unordered_map<std::string, NodeEntries>;

inline constexpr const char* kStoreFormat = "nodebackup-hashes/1";

class ShapeReader {
 public:
  // `text_bytes`, if known, is the whole text's length: a node's entries are sized from it.
  ShapeReader(LoadedNodes& out, LoadReport& report, size_t text_bytes = 0)
      : out_(out), report_(report), text_bytes_(text_bytes) {}

  // Consumes the longest prefix of `text` made of whole items (an entry, a node's opening, a
  // top-level field) and returns its length; the caller keeps the rest and calls again with
  // more appended. nullopt: the text leaves the shape (or ends early, when `at_end`), and what
  // was read so far must be discarded.
  std::optional<size_t> feed(std::string_view text, bool at_end);
  bool finished() const { return level_ == Level::done; }

  // What one step of reading did: read a whole item, ran out of text, or left the shape.
  enum class Step { ok, more, off_shape };
  struct Cursor;

 private:
  enum class Level { before, top, nodes, node, done };

  Step step(Cursor& c);
  Step member(Cursor& c);
  Step entry_object(Cursor& c, std::string path);

  LoadedNodes& out_;
  LoadReport& report_;
  size_t text_bytes_;
  size_t consumed_ = 0;  // by earlier feeds
  Level level_ = Level::before;
  Level node_parent_ = Level::top;  // top in a legacy store, nodes in the current one
  bool first_ = true;               // no member read yet at this level
  NodeEntries* node_ = nullptr;
};

// The general reader (nlohmann SAX) over a whole text.
Result<> parse_store_text(std::string_view text, const std::string& source, LoadedNodes& out,
                          LoadReport& report);

// The file at `path`: streamed through ShapeReader, else read whole into the general reader.
Result<> parse_store_file(const std::string& path, LoadedNodes& out, LoadReport& report);

}  // namespace nb::store
