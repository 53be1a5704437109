// The general reader of file_hashes.json (store_reader.h): nlohmann's SAX parser over the
// whole text, for any file outside the shape ShapeReader streams. It reads the current shape
// and the legacy one, {"02_node": {"/path": "MISSING" | "<hash>"}}, whose values are never
// trusted as hashes. Structure it does not expect fails the parse (the file is then treated as
// corrupt); an entry it cannot use becomes an untrusted entry.
#include <nlohmann/json.hpp>

#include "store/store_reader.h"
#include "util/json_text.h"

namespace nb::store {

namespace {

using nlohmann::json;

class StoreReader final : public nlohmann::json_sax<json> {
 public:
  StoreReader(LoadedNodes& out, LoadReport& report) : out_(out), report_(report) {}

  std::string problem;

  bool start_object(std::size_t) override {
    switch (level_) {
      case Level::none:
        level_ = Level::top;
        return true;
      case Level::top:
        if (key_ == "nodes") return enter(Level::nodes);
        node_ = &out_[key_];  // a legacy store: nodes at the top level
        return enter(Level::node);
      case Level::nodes:
        node_ = &out_[key_];
        return enter(Level::node);
      case Level::node:
        entry_ = Entry{};
        entry_path_ = key_;
        fields_ = 0;
        path_hex_.clear();
        return enter(Level::entry);
      default:
        return reject("unexpected object");
    }
  }

  bool end_object() override {
    switch (level_) {
      case Level::entry:
        finish_entry();
        break;
      case Level::node:
        level_ = node_parent_;
        break;
      case Level::nodes:
        level_ = Level::top;
        break;
      default:
        level_ = Level::none;
    }
    return true;
  }

  bool key(string_t& val) override {
    key_ = std::move(val);
    return true;
  }

  bool string(string_t& val) override {
    if (level_ == Level::top) {
      if (key_ == "format" && val != kStoreFormat) return reject("unknown format \"" + val + "\"");
      return true;
    }
    if (level_ == Level::node) {  // "MISSING" or a legacy bare hash: never trusted
      Entry e;
      e.trusted = false;
      ++report_.legacy_values;
      node_->insert_or_assign(key_, e);
      return true;
    }
    if (level_ != Level::entry) return reject("unexpected string");
    if (key_ == "xxh3") {
      if (auto h = Hash::from_hex(val)) entry_.hash = *h, fields_ |= kHash;
    } else if (key_ == "path_hex") {
      path_hex_ = val;
    }
    return true;
  }

  bool number_unsigned(number_unsigned_t val) override { return number(val, true); }
  bool number_integer(number_integer_t val) override { return number(val, val >= 0); }
  bool boolean(bool val) override {
    if (level_ == Level::entry && key_ == "racy") entry_.racy = val;
    return level_ == Level::entry || reject("unexpected boolean");
  }
  bool null() override { return reject("unexpected null"); }
  bool number_float(number_float_t, const string_t&) override {
    return reject("unexpected number");
  }
  bool binary(binary_t&) override { return reject("unexpected binary"); }
  bool start_array(std::size_t) override { return reject("unexpected array"); }
  bool end_array() override { return false; }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& e) override {
    problem = "at byte " + std::to_string(position) + ": " + e.what();
    return false;
  }

 private:
  enum class Level { none, top, nodes, node, entry };
  static constexpr unsigned kHash = 1, kSize = 2, kMtime = 4;

  bool enter(Level level) {
    if (level == Level::node) node_parent_ = level_;
    level_ = level;
    return true;
  }

  bool reject(const std::string& why) {
    problem = why + " (at key \"" + key_ + "\")";
    return false;
  }

  bool number(int64_t val, bool non_negative) {
    if (level_ == Level::top) return true;  // tolerated for forward compatibility
    if (level_ != Level::entry || !non_negative) return reject("unexpected number");
    if (key_ == "size") entry_.size = static_cast<uint64_t>(val), fields_ |= kSize;
    if (key_ == "mtime_ns") entry_.mtime_ns = val, fields_ |= kMtime;
    if (key_ == "ctime_ns") entry_.ctime_ns = val;
    if (key_ == "inode") entry_.inode = static_cast<uint64_t>(val);
    return true;
  }

  void finish_entry() {
    if (fields_ != (kHash | kSize | kMtime)) {
      entry_ = Entry{};
      entry_.trusted = false;
      ++report_.legacy_values;
    }
    std::string path = std::move(entry_path_);
    if (!path_hex_.empty()) {
      if (auto bytes = hex_decode(path_hex_)) path = std::move(*bytes);
    }
    node_->insert_or_assign(std::move(path), entry_);
    level_ = Level::node;
  }

  LoadedNodes& out_;
  LoadReport& report_;
  Level level_ = Level::none;
  Level node_parent_ = Level::none;  // top in a legacy store, nodes in the current one
  std::string key_;
  NodeEntries* node_ = nullptr;
  Entry entry_;
  std::string entry_path_;
  unsigned fields_ = 0;
  std::string path_hex_;
};

}  // namespace

Result<> parse_store_text(std::string_view text, const std::string& source, LoadedNodes& out,
                          LoadReport& report) {
  StoreReader reader(out, report);
  bool ok = false;
  try {
    ok = json::sax_parse(text.begin(), text.end(), &reader);
  } catch (const json::exception& e) {
    reader.problem = e.what();
  }
  if (!ok) return fail("load hash store", source, 0, reader.problem);
  return {};
}

}  // namespace nb::store
