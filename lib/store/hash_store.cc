#include "store/hash_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>

#include "util/clock.h"
#include "util/file.h"

namespace nb::store {

namespace {

std::string store_path(const std::string& state_dir) {
  return state_dir + "/" + HashStore::kFileName;
}

}  // namespace

LoadReport HashStore::load(const std::string& state_dir) {
  LoadReport report = read_snapshot(state_dir);
  for (const auto& warning : report.warnings) spdlog::warn("hash store: {}", warning);
  if (!report.source.empty()) {
    spdlog::debug("hash store: {} entries from {}", stats_unlocked().entries, report.source);
  }
  return report;
}

LoadReport HashStore::read_snapshot(const std::string& state_dir) {
  LoadReport report;
  const std::string current = store_path(state_dir);
  for (const std::string& candidate : {current, current + kPreviousSuffix}) {
    LoadReport attempt;
    if (auto parsed = from_file(candidate, attempt); !parsed) {
      if (parsed.error().code() != ENOENT) report.warnings.push_back(parsed.error().message());
      continue;
    }
    attempt.warnings.insert(attempt.warnings.begin(), report.warnings.begin(),
                            report.warnings.end());
    attempt.source = candidate;
    struct ::stat st;
    const bool dated = ::stat(candidate.c_str(), &st) == 0;
    // Loaded from the fallback: the next snapshot must replace the broken current file.
    std::lock_guard lock(mutex_);
    saved_generation_ = generation_;
    if (candidate != current) ++generation_;
    // The snapshot on disk is as old as its file, whoever wrote it.
    if (dated) last_snapshot_ns_ = st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec;
    return attempt;
  }
  std::lock_guard lock(mutex_);
  replace_all_unlocked({});
  saved_generation_ = generation_;
  if (!report.warnings.empty()) {
    // Through a named string: GCC 12 reports a false array-bounds overflow in the inlined copy
    // of a literal here.
    const std::string empty_store = "starting with an empty hash store: every file is read once";
    report.warnings.push_back(empty_store);
  }
  return report;
}

std::shared_future<LoadReport> HashStore::load_async(const std::string& state_dir) {
  loading_ = std::async(std::launch::async, [this, state_dir] { return load(state_dir); });
  return loading_;
}

HashStore::~HashStore() {
  wait_loaded();
}

void HashStore::wait_loaded() const {
  if (loading_.valid()) loading_.wait();
}

Result<bool> HashStore::save(const std::string& state_dir) {
  wait_loaded();
  NodeMap nodes;
  uint64_t generation;
  {
    std::lock_guard lock(mutex_);
    if (!dirty_unlocked()) return false;
    nodes = nodes_;
    generation = generation_;
  }
  if (auto hook = save_hook_) hook();  // a copy: the hook may replace itself
  const std::string current = store_path(state_dir);
  const std::string previous = current + kPreviousSuffix;
  // Keep the file we are about to replace as the fallback: link it aside first, so there is
  // never a moment with no good store on disk.
  if (::unlink(previous.c_str()) != 0 && errno != ENOENT) {
    return errno_error("remove", previous, errno);
  }
  if (::link(current.c_str(), previous.c_str()) != 0 && errno != ENOENT) {
    return errno_error("link", previous, errno);
  }
  // Streamed: a million entries are ~175 MB of text, never held whole.
  auto file = DurableFile::create(current);
  if (!file) return std::unexpected(file.error());
  if (auto written = write_json(nodes, [&](std::string_view piece) { return file->write(piece); });
      !written) {
    return std::unexpected(written.error());
  }
  if (auto committed = file->commit(); !committed) return std::unexpected(committed.error());
  std::lock_guard lock(mutex_);
  saved_generation_ = std::max(saved_generation_, generation);
  last_snapshot_ns_ = now_ns();
  return true;
}

std::shared_ptr<const NodeEntries> HashStore::entries(const std::string& node) const {
  wait_loaded();
  std::lock_guard lock(mutex_);
  const auto it = nodes_.find(node);
  return it == nodes_.end() ? std::make_shared<const NodeEntries>() : it->second;
}

std::shared_ptr<const NodeEntries> HashStore::entries_if_loaded(const std::string& node) const {
  if (loading_.valid() && loading_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    return nullptr;
  }
  return entries(node);
}

void HashStore::write_back(const std::string& node, const WriteBack& changes) {
  wait_loaded();
  std::lock_guard lock(mutex_);
  auto& current = nodes_[node];
  if (!current) current = std::make_shared<const NodeEntries>();
  std::shared_ptr<NodeEntries> updated;  // made only when something actually differs
  const auto mutable_entries = [&]() -> NodeEntries& {
    if (!updated) updated = std::make_shared<NodeEntries>(*current);
    return *updated;
  };
  size_t& untrusted = untrusted_by_node_[node];
  const auto forget = [&](const Entry& old) {
    --entries_total_;
    if (!old.trusted) --untrusted, --untrusted_total_;
  };
  for (const auto& [path, entry] : changes.updates) {
    const NodeEntries& now = updated ? *updated : *current;
    const auto it = now.find(path);
    if (it != now.end() && it->second == entry) continue;
    if (it != now.end()) forget(it->second);
    ++entries_total_;
    if (!entry.trusted) ++untrusted, ++untrusted_total_;
    mutable_entries().insert_or_assign(path, entry);
  }
  for (const auto& path : changes.removals) {
    const NodeEntries& now = updated ? *updated : *current;
    const auto it = now.find(path);
    if (it == now.end()) continue;
    forget(it->second);
    mutable_entries().erase(path);
  }
  if (updated) {
    current = std::move(updated);
    ++generation_;
  }
}

void HashStore::replace_all_unlocked(NodeMap nodes) {
  nodes_ = std::move(nodes);
  entries_total_ = untrusted_total_ = 0;
  untrusted_by_node_.clear();
  for (const auto& [node, entries] : nodes_) {
    untrusted_by_node_[node] = entries->untrusted();
    entries_total_ += entries->size();
    untrusted_total_ += entries->untrusted();
  }
}

StoreStats HashStore::stats() const {
  wait_loaded();
  return stats_unlocked();
}

StoreStats HashStore::stats_unlocked() const {
  std::lock_guard lock(mutex_);
  return {.entries = entries_total_,
          .untrusted = untrusted_total_,
          .dirty = dirty_unlocked(),
          .last_snapshot_ns = last_snapshot_ns_};
}

HashStore::Untrusted HashStore::untrusted(const std::string& node, size_t limit) const {
  Untrusted out;
  {
    wait_loaded();
    std::lock_guard lock(mutex_);
    const auto it = untrusted_by_node_.find(node);
    if (it == untrusted_by_node_.end() || it->second == 0) return out;  // the usual case
  }
  const auto all = entries(node);
  for (const auto& [path, entry] : *all) {
    if (entry.trusted) continue;
    ++out.count;
    if (out.examples.size() < limit) out.examples.emplace_back(path);
  }
  return out;
}

}  // namespace nb::store
