// The real Ceph RGW the S3 tests talk to (scripts/rgw.sh): under ctest, the cluster its
// FIXTURES_SETUP test started (NB_RGW_DIR); run by hand, one started on first use in a temp
// directory and stopped by PID when the process exits. Every test takes a fresh bucket, so
// tests running in parallel against one cluster never see each other's objects.
#pragma once

#include <memory>
#include <string>

#include "repo/storage/s3/s3_storage.h"
#include "repo/storage/storage.h"

namespace nb::test {

class RgwServer {
 public:
  static RgwServer& instance();

  const repo::s3::S3Settings& settings() const { return settings_; }
  // A bucket name no other test uses ("nbt-<random>"); made by the first open with create.
  std::string new_bucket() const;
  // The storage at s3://<bucket>/<prefix> (prefix "" or "x/"), the bucket made if missing.
  std::unique_ptr<repo::Storage> open(const std::string& bucket, const std::string& prefix = "",
                                      repo::s3::S3StorageOptions options = {}) const;

  // A second radosgw on the same cluster (its own port), for a test that stops it mid-run
  // without disturbing the tests sharing the main one; returns its endpoint.
  std::string start_gateway(const std::string& name);
  void stop_gateway(const std::string& name);

  // The script's directory for this cluster (ceph.conf, logs).
  const std::string& dir() const { return dir_; }

 private:
  RgwServer();
  ~RgwServer();

  std::string dir_;
  bool owned_ = false;  // started by this process, stopped by it
  repo::s3::S3Settings settings_;
};

// A storage of kind "local" (a temp directory) or "s3" (a fresh bucket on the RGW), for the
// tests written once for every backend. Keeps its directory alive as long as it lives.
std::unique_ptr<repo::Storage> make_test_storage(const std::string& kind);

}  // namespace nb::test
