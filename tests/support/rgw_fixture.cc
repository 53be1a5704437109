#include "support/rgw_fixture.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "support/temp_dir.h"

namespace nb::test {

namespace {

const std::string kScript = std::string(NB_SOURCE_DIR) + "/scripts/rgw.sh";

// Runs the command and returns its standard output's last line.
std::string run(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run " + command);
  std::string out, line;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) out += buf;
  if (::pclose(pipe) != 0) throw std::runtime_error("failed: " + command + "\n" + out);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  const auto nl = out.rfind('\n');
  return nl == std::string::npos ? out : out.substr(nl + 1);
}

// A local storage that owns its temp directory.
class LocalTestStorage final : public repo::Storage {
 public:
  LocalTestStorage() : inner_(repo::open_local_storage(dir_.path())) {}
  Result<> put(const std::string& n, std::string_view d) override { return inner_->put(n, d); }
  Result<std::unique_ptr<repo::PendingFile>> create_pending(const std::string& p) override {
    return inner_->create_pending(p);
  }
  Result<std::string> get(const std::string& n) const override { return inner_->get(n); }
  Result<std::string> get_range(const std::string& n, uint64_t o, uint64_t l) const override {
    return inner_->get_range(n, o, l);
  }
  Result<std::vector<repo::StoredFile>> list(const std::string& p) const override {
    return inner_->list(p);
  }
  Result<> remove(const std::string& n) override { return inner_->remove(n); }
  Result<std::unique_ptr<repo::StorageLock>> lock(bool e, bool w) override {
    return inner_->lock(e, w);
  }
  Result<std::vector<repo::StoredFile>> list_incomplete() const override {
    return inner_->list_incomplete();
  }
  Result<> remove_incomplete(const std::string& n) override { return inner_->remove_incomplete(n); }
  const std::string& location() const override { return inner_->location(); }
  std::string describe(const std::string& n) const override { return inner_->describe(n); }

 private:
  TempDir dir_;
  std::unique_ptr<repo::Storage> inner_;
};

}  // namespace

RgwServer& RgwServer::instance() {
  static RgwServer server;
  return server;
}

RgwServer::RgwServer() {
  if (const char* dir = std::getenv("NB_RGW_DIR"); dir != nullptr && *dir != '\0') {
    dir_ = dir;
  } else {
    dir_ = "/tmp/nb-rgw-" + repo::s3::random_hex(6);
    run(kScript + " start " + dir_);
    owned_ = true;
  }
  std::ifstream env(dir_ + "/env");
  if (!env) throw std::runtime_error("no RGW cluster: " + dir_ + "/env is missing");
  std::string line;
  while (std::getline(env, line)) {
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "NB_RGW_ENDPOINT") settings_.endpoint = value;
    if (key == "NB_RGW_REGION") settings_.region = value;
    if (key == "NB_RGW_ACCESS_KEY") settings_.access_key = value;
    if (key == "NB_RGW_SECRET_KEY") settings_.secret_key = value;
  }
}

RgwServer::~RgwServer() {
  if (owned_) std::system((kScript + " stop " + dir_ + " >/dev/null 2>&1").c_str());
}

std::string RgwServer::new_bucket() const {
  return "nbt-" + repo::s3::random_hex(8);
}

std::unique_ptr<repo::Storage> RgwServer::open(const std::string& bucket, const std::string& prefix,
                                               repo::s3::S3StorageOptions options) const {
  auto storage =
      repo::s3::open_s3_storage(settings_, {bucket, prefix}, /*create_bucket=*/true, options);
  if (!storage) throw std::runtime_error(storage.error().message());
  return std::move(*storage);
}

std::string RgwServer::start_gateway(const std::string& name) {
  return run(kScript + " start-gateway " + dir_ + " " + name);
}

void RgwServer::stop_gateway(const std::string& name) {
  run(kScript + " stop-gateway " + dir_ + " " + name);
}

std::unique_ptr<repo::Storage> make_test_storage(const std::string& kind) {
  if (kind == "s3") return RgwServer::instance().open(RgwServer::instance().new_bucket());
  return std::make_unique<LocalTestStorage>();
}

}  // namespace nb::test
