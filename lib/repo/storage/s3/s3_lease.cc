#include "repo/storage/s3/s3_lease.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include "repo/storage/s3/s3_list.h"

namespace nb::repo::s3 {

namespace {

using Clock = std::chrono::steady_clock;

std::string holder_text(bool exclusive) {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return std::string("{\"exclusive\":") + (exclusive ? "true" : "false") + ",\"host\":\"" + host +
         "\",\"pid\":" + std::to_string(::getpid()) + "}\n";
}

// Holds the lease: re-writes it every quarter of its lifetime, deletes it on destruction.
class Lease final : public StorageLock {
 public:
  Lease(const S3Client& client, std::string key, std::string body, std::chrono::seconds lifetime,
        Clock::time_point written)
      : client_(client),
        key_(std::move(key)),
        body_(std::move(body)),
        lifetime_(lifetime),
        renewed_(written.time_since_epoch().count()) {
    refresher_ = std::thread([this] { refresh_until_released(); });
  }

  // Fails at half the lifetime since the last confirmed write was sent: counted from before
  // the store stamped it, this age is never less than the one the store gives the lease, and
  // the other half is the margin for what the caller does next.
  Result<> check() const override {
    const auto renewed = Clock::time_point(Clock::duration(renewed_.load()));
    const auto age = Clock::now() - renewed;
    if (age >= lifetime_ / 2) {
      return fail(
          "lock", client_.url(key_), ENOLCK,
          "the lease on the repository was not renewed for " +
              std::to_string(std::chrono::duration_cast<std::chrono::seconds>(age).count()) +
              " s: another process may take it for dead",
          /*transient=*/true);
    }
    return {};
  }

  ~Lease() override {
    {
      std::lock_guard lock(mutex_);
      released_ = true;
    }
    wake_.notify_all();
    refresher_.join();
    const S3Request remove = s3_request("DELETE", key_);
    (void)client_.send(remove, client_.url(key_));  // else it expires
  }

 private:
  void refresh_until_released() {
    std::unique_lock lock(mutex_);
    const auto period = std::max<std::chrono::seconds>(lifetime_ / 4, std::chrono::seconds(1));
    while (!wake_.wait_for(lock, period, [this] { return released_; })) {
      lock.unlock();
      const S3Request put = s3_request("PUT", key_, {}, body_);
      // A failed renewal is retried next quarter; check() fails after two in a row.
      const auto sent = Clock::now();
      auto response = client_.send(put, client_.url(key_));
      if (response && response->status == 200) renewed_ = sent.time_since_epoch().count();
      lock.lock();
    }
  }

  const S3Client& client_;
  const std::string key_, body_;
  const std::chrono::seconds lifetime_;
  std::atomic<Clock::rep> renewed_;  // when the last confirmed write was sent
  std::mutex mutex_;
  std::condition_variable wake_;
  bool released_ = false;
  std::thread refresher_;
};

bool is_exclusive(const std::string& key, const std::string& prefix) {
  return key.compare(prefix.size(), 10, "exclusive-") == 0;
}

Result<> put_lease(const S3Client& client, const std::string& key, const std::string& body) {
  const S3Request put = s3_request("PUT", key, {}, body);
  auto response = client.send(put, client.url(key));
  if (!response) return std::unexpected(response.error());
  if (response->status != 200)
    return std::unexpected(reply_error("lock", client.url(key), *response));
  return {};
}

// Writes the lease, then looks for a live one it conflicts with; true when there is none.
Result<bool> try_once(const S3Client& client, const std::string& prefix, const std::string& key,
                      const std::string& body, bool exclusive, std::chrono::seconds lifetime) {
  if (auto r = put_lease(client, key, body); !r) return std::unexpected(r.error());
  auto listing = list_objects(client, prefix);
  if (!listing) return std::unexpected(listing.error());
  bool clear = true;
  for (const auto& o : listing->objects) {
    if (o.key == key) continue;
    if (listing->server_time - o.last_modified > lifetime.count()) {
      const S3Request remove = s3_request("DELETE", o.key);  // its holder died
      (void)client.send(remove, client.url(o.key));
      continue;
    }
    if (exclusive || is_exclusive(o.key, prefix)) clear = false;
  }
  if (!clear) {
    const S3Request remove = s3_request("DELETE", key);
    auto removed = client.send(remove, client.url(key));
    if (!removed) return std::unexpected(removed.error());
  }
  return clear;
}

}  // namespace

Result<std::unique_ptr<StorageLock>> acquire_lease(const S3Client& client,
                                                   const std::string& locks_prefix, bool exclusive,
                                                   bool wait, std::chrono::seconds lifetime) {
  const std::string body = holder_text(exclusive);
  std::mt19937 jitter(std::random_device{}());
  std::uniform_int_distribution<int> pause_ms(200, 1500);
  for (;;) {
    const std::string key = locks_prefix + (exclusive ? "exclusive-" : "shared-") + random_hex(8);
    const auto written = Clock::now();
    auto clear = try_once(client, locks_prefix, key, body, exclusive, lifetime);
    if (!clear) return std::unexpected(clear.error());
    if (*clear) return std::make_unique<Lease>(client, key, body, lifetime, written);
    if (!wait) {
      return fail("lock", client.url(locks_prefix), EWOULDBLOCK,
                  exclusive ? "a backup or a prune is using the repository" : "a prune is running",
                  /*transient=*/true);
    }
    // Two exclusive takers that saw each other both back off: a random pause breaks the tie.
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(jitter)));
  }
}

}  // namespace nb::repo::s3
