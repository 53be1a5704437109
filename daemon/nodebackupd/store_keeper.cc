#include "nodebackupd/store_keeper.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

namespace nb::daemon {

namespace asio = boost::asio;

StoreKeeper::StoreKeeper(asio::io_context& io, asio::any_io_executor saver, store::HashStore& store,
                         std::string state_dir)
    : io_(io),
      saver_(std::move(saver)),
      store_(store),
      state_dir_(std::move(state_dir)),
      timer_(io) {}

void StoreKeeper::changed(std::chrono::nanoseconds interval) {
  interval_ = interval;
  dirty_since_save_ = true;
  arm();
}

void StoreKeeper::stop() {
  stopped_ = true;
  timer_.cancel();
}

Result<bool> StoreKeeper::save_now() {
  return store_.save(state_dir_);
}

void StoreKeeper::arm() {
  if (armed_ || stopped_) return;
  armed_ = true;
  timer_.expires_after(interval_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    dirty_since_save_ = false;
    asio::post(saver_, [this] {
      auto saved = store_.save(state_dir_);
      asio::post(io_, [this, saved = std::move(saved)] {
        if (!saved) spdlog::error("hash store: {}", saved.error().message());
        armed_ = false;
        // Changed again while saving, or the save failed: another snapshot is due.
        if (dirty_since_save_ || !saved) arm();
      });
    });
  });
}

}  // namespace nb::daemon
