// The hash store's keeper: snapshots it to disk at most every store_snapshot_interval, off the
// event loop, and only after a run may have changed it, so an idle daemon has no timer armed.
// Lives on the event loop; the save itself runs on the given executor.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <string>

#include "store/hash_store.h"
#include "util/error.h"

namespace nb::daemon {

class StoreKeeper {
 public:
  StoreKeeper(boost::asio::io_context& io, boost::asio::any_io_executor saver,
              store::HashStore& store, std::string state_dir);

  // A run finished: the store may have changed; a snapshot follows within `interval`.
  void changed(std::chrono::nanoseconds interval);
  // No more timed snapshots (the daemon is stopping); the last save is save_now().
  void stop();
  // On the caller's thread: for the stop, after every job has ended.
  Result<bool> save_now();  // as HashStore::save

 private:
  void arm();

  boost::asio::io_context& io_;
  boost::asio::any_io_executor saver_;
  store::HashStore& store_;
  std::string state_dir_;
  boost::asio::steady_timer timer_;
  std::chrono::nanoseconds interval_{};
  bool armed_ = false;
  bool dirty_since_save_ = false;
  bool stopped_ = false;
};

}  // namespace nb::daemon
