#include "repo/repository.h"

#include <sodium.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <nlohmann/json.hpp>

#include "repo/format/corrupt.h"
#include "util/file.h"
#include "util/json_text.h"

namespace nb::repo {

namespace {

constexpr const char* kFormat2 = "nodebackup-repo/2";
constexpr const char* kFormat1 = "nodebackup-repo/1";

std::string config_json(const RepoKeys& keys) {
  nlohmann::json j = {{"format", kFormat2}, {"encrypted", keys.encrypted}};
  // An encrypted repository keeps its chunker seed with the other secrets, in the key.
  if (!keys.encrypted) {
    j["chunker_seed"] = hex_encode(
        {reinterpret_cast<const char*>(keys.chunker_seed.data()), keys.chunker_seed.size()});
  }
  return j.dump() + "\n";
}

Result<RepoKeys> keys_from_key_files(const Storage& storage, const OpenOptions& options) {
  if (!options.passphrase) {
    return fail("open repository", storage.location(), EACCES,
                "the repository is encrypted: set repository_password_file in the config (or "
                "pass the systemd credential nodebackup-repository-password)");
  }
  auto passphrase = options.passphrase();
  if (!passphrase) return std::unexpected(passphrase.error());
  auto files = storage.list("keys/");
  if (!files) return std::unexpected(files.error());
  if (files->empty()) return fail("open repository", storage.location(), ENOENT, "no key file");
  std::optional<Error> last;
  for (const auto& f : *files) {
    auto text = storage.get(f.name);
    if (!text) return std::unexpected(text.error());
    auto keys = unwrap_keys(*text, *passphrase, storage.describe(f.name));
    sodium_memzero(passphrase->data(), passphrase->size());
    if (keys) return keys;
    last = keys.error();
  }
  if (last->detail() == "wrong passphrase") {
    return fail("open repository", storage.location(), EACCES,
                "wrong passphrase: no key file of the repository opens with it");
  }
  return std::unexpected(*last);
}

Result<RepoKeys> format2_keys(const Storage& storage, const nlohmann::json& j,
                              const OpenOptions& options) {
  if (j.at("encrypted").get<bool>()) return keys_from_key_files(storage, options);
  RepoKeys keys;
  auto seed = hex_decode(j.at("chunker_seed").get<std::string>());
  if (!seed || seed->size() != keys.chunker_seed.size()) {
    return fail("open repository", storage.location(), 0, "config has a bad chunker_seed");
  }
  std::memcpy(keys.chunker_seed.data(), seed->data(), seed->size());
  return keys;
}

Result<nlohmann::json> read_config(const Storage& storage, const std::string& name) {
  auto text = storage.get(name);
  if (!text) return std::unexpected(text.error());
  try {
    return nlohmann::json::parse(*text);
  } catch (const std::exception& e) {
    return fail("open repository", storage.describe(name), 0, e.what());
  }
}

}  // namespace

Result<> Repository::init(Storage& storage, const InitOptions& options) {
  return init_as(storage, options, "config");
}

Result<> Repository::init_as(Storage& storage, const InitOptions& options,
                             const std::string& config_name) {
  if (auto existing = storage.get(config_name); existing || existing.error().code() != ENOENT) {
    return fail("init repository", storage.location(), EEXIST, "a repository is already there");
  }
  const RepoKeys keys = RepoKeys::generate(options.encrypt);
  if (options.encrypt) {
    if (options.passphrase.empty()) {
      return fail("init repository", storage.location(), 0, "an empty passphrase is refused");
    }
    const BlobId key_name =
        content_name(std::to_string(randombytes_random()) + std::to_string(randombytes_random()));
    auto r = storage.put("keys/" + key_name.hex().substr(0, 16),
                         wrap_keys(keys, options.passphrase, options.kdf));
    if (!r) return r;
  }
  // The config is written last: a half-created repository is not mistaken for a real one.
  return storage.put(config_name, config_json(keys));
}

Result<std::unique_ptr<Repository>> Repository::open(const std::string& root, bool create) {
  if (create) {
    if (auto r = make_dirs(root, 0700); !r) return std::unexpected(r.error());
    ::chmod(root.c_str(), 0700);  // backups hold secrets, whatever the umask made
  }
  OpenOptions options;
  options.create = create;
  return open(open_local_storage(root), options);
}

Result<std::unique_ptr<Repository>> Repository::open(std::unique_ptr<Storage> storage,
                                                     const OpenOptions& options) {
  auto config = read_config(*storage, "config");
  if (!config && config.error().code() == ENOENT && options.create) {
    auto existing = storage->list("");
    if (!existing) return std::unexpected(existing.error());
    if (!existing->empty()) {
      return fail("create repository", storage->location(), 0,
                  "directory is not empty and not a repository");
    }
    if (auto r = init(*storage, {}); !r) return std::unexpected(r.error());
    config = read_config(*storage, "config");
  }
  if (!config) {
    return fail(
        "open repository", storage->location(), config.error().code(),
        "not a nodebackup repository (no readable config: " + config.error().message() + ")");
  }
  try {
    const std::string format = config->at("format").get<std::string>();
    bool format1 = false;
    if (format == kFormat1) {
      if (!options.allow_format1) {
        return fail("open repository", storage->location(), 0,
                    "the repository is format 1 (written by nodebackup 0.1.0); convert it with "
                    "`nodebackupctl migrate` (it keeps every snapshot)");
      }
      format1 = true;
      config = read_config(*storage, "config-2");  // the format-2 side of a migration
      if (!config) {
        if (config.error().code() != ENOENT) return std::unexpected(config.error());
        return std::unique_ptr<Repository>(new Repository(std::move(storage), {}, true));
      }
    } else if (format != kFormat2) {
      return fail("open repository", storage->location(), 0, "config names an unknown format");
    }
    auto keys = format2_keys(*storage, *config, options);
    if (!keys) return std::unexpected(keys.error());
    return std::unique_ptr<Repository>(new Repository(std::move(storage), *keys, format1));
  } catch (const nlohmann::json::exception& e) {
    return fail("open repository", storage->location(), 0, e.what());
  }
}

Result<RepoLock> Repository::lock(bool exclusive, bool wait) {
  auto held = storage_->lock(exclusive, wait);
  if (!held) return std::unexpected(held.error());
  std::lock_guard guard(index_mutex_);
  index_listed_ = false;
  return RepoLock(std::move(*held));
}

Result<> Repository::ensure_index() const {
  if (index_listed_) return {};
  auto files = storage_->list("index/");
  if (!files) return std::unexpected(files.error());
  std::set<std::string> names;
  for (const auto& f : *files) names.insert(f.name);
  // An index file gone means a prune replaced it (and maybe deleted packs it named): start
  // over. Otherwise only files other writers added since are read.
  if (!std::includes(names.begin(), names.end(), index_files_.begin(), index_files_.end())) {
    index_.clear();
    index_files_.clear();
    packs_missing_ = 0;
  }
  std::optional<std::set<std::string>> packs;  // listed once, if any index file is new
  for (const auto& name : names) {
    if (index_files_.contains(name)) continue;
    if (!packs) {
      auto stored = storage_->list("data/");
      if (!stored) return std::unexpected(stored.error());
      packs.emplace();
      for (const auto& f : *stored) packs->insert(f.name);
    }
    auto data = storage_->get(name);
    if (!data) return std::unexpected(data.error());
    auto records = read_index_records(keys_, *data, storage_->describe(name));
    if (!records) return std::unexpected(records.error());
    // A pack that is gone (lost, or deleted by hand) holds nothing a backup may count on:
    // its files are read and stored again, as format 1 did for a missing object.
    for (const auto& p : *records) {
      if (packs->contains(pack_name(p.pack_id))) {
        index_.add(p);
      } else {
        ++packs_missing_;
      }
    }
    index_files_.insert(name);
  }
  index_.finalize();
  index_listed_ = true;
  return {};
}

void Repository::prefetch_index() {
  std::lock_guard lock(index_mutex_);
  if (index_listed_) return;
  if (index_prefetch_.valid()) {
    // One still running (waiting for this mutex) does this run's listing. A finished one is an
    // earlier run's: reap it (joining its thread) and start this run's, or a daemon, which keeps
    // its repository open, would list the index in the foreground on every run but its first.
    if (index_prefetch_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return;
    index_prefetch_.get();
  }
  index_prefetch_ = std::async(std::launch::async, [this] {
    std::lock_guard inner(index_mutex_);
    (void)ensure_index();
  });
}

void Repository::forget_index() {
  std::future<void> in_flight;
  {
    std::lock_guard lock(index_mutex_);
    in_flight = std::move(index_prefetch_);
  }
  if (in_flight.valid()) in_flight.wait();
  std::lock_guard lock(index_mutex_);
  index_.clear();
  index_files_.clear();
  packs_missing_ = 0;
  index_listed_ = false;
}

bool Repository::index_whole() const {
  std::lock_guard lock(index_mutex_);
  return ensure_index() && packs_missing_ == 0;
}

std::optional<BlobLocation> Repository::locate(const BlobId& id) const {
  std::lock_guard lock(index_mutex_);
  // An index that cannot be read answers "absent": that costs a re-read and a re-store, and
  // never lets a backup count on content it cannot find.
  if (!ensure_index()) return std::nullopt;
  return index_.find(id);
}

bool Repository::has_blob(const BlobId& id) const {
  return locate(id).has_value();
}

Result<std::string> Repository::read_blob(const BlobId& id) const {
  auto where = locate(id);
  if (!where) return fail("read blob", id.hex(), ENOENT, "no index file lists it");
  std::string pack = pack_name(where->pack_id);
  auto sealed = storage_->get_range(pack, where->offset, where->length);
  if (!sealed && sealed.error().code() == ENOENT) {
    // Read without a lock, an index can be older than a prune that moved the blob into a
    // new pack: list the index files again, once.
    {
      std::lock_guard lock(index_mutex_);
      index_listed_ = false;
    }
    where = locate(id);
    if (!where) return fail("read blob", id.hex(), ENOENT, "no index file lists it");
    pack = pack_name(where->pack_id);
    sealed = storage_->get_range(pack, where->offset, where->length);
  }
  if (!sealed) return std::unexpected(sealed.error());
  const std::string what = "blob " + id.hex() + " in " + storage_->describe(pack);
  auto plain = unseal(keys_, *sealed, what);
  if (!plain) return std::unexpected(plain.error());
  if (blob_id(*plain) != id)
    return corrupt("read blob", what, EIO, "content does not match its id");
  return plain;
}

Result<std::vector<std::pair<std::string, std::vector<PackRecord>>>> Repository::read_index_files()
    const {
  auto files = storage_->list("index/");
  if (!files) return std::unexpected(files.error());
  std::sort(files->begin(), files->end(),
            [](const StoredFile& a, const StoredFile& b) { return a.name < b.name; });
  std::vector<std::pair<std::string, std::vector<PackRecord>>> out;
  for (const auto& f : *files) {
    auto data = storage_->get(f.name);
    if (!data) return std::unexpected(data.error());
    auto records = read_index_records(keys_, *data, storage_->describe(f.name));
    if (!records) return std::unexpected(records.error());
    out.emplace_back(f.name, std::move(*records));
  }
  return out;
}

Result<std::vector<BlobId>> Repository::list_blobs() const {
  auto files = read_index_files();
  if (!files) return std::unexpected(files.error());
  std::vector<BlobId> out;
  for (const auto& [name, packs] : *files) {
    for (const auto& p : packs) {
      for (const auto& b : p.blobs) out.push_back(b.id);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void Repository::note_committed(const std::string& index_file,
                                const std::vector<PackRecord>& packs) {
  std::lock_guard lock(index_mutex_);
  if (!index_listed_) return;  // the next use lists and reads it anyway
  for (const auto& p : packs) index_.add(p);
  index_.finalize();
  index_files_.insert(index_file);
}

std::unique_ptr<BlobBatch> Repository::new_batch() {
  return std::make_unique<BlobBatch>(*this);
}

Result<> Repository::check_fault(FaultPoint point) const {
  return fault_hook_ ? fault_hook_(point) : Result<>{};
}

}  // namespace nb::repo
