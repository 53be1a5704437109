// One client of the control socket: reads request lines, hands them to the server's handler,
// and writes the replies back in order. Keeps itself alive with shared_from_this() while an
// operation is pending, as Asio's examples do.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>

#include "nodebackupd/control_server.h"

namespace nb::daemon {

class ControlSession : public std::enable_shared_from_this<ControlSession> {
 public:
  ControlSession(ControlServer& server, boost::asio::local::stream_protocol::socket socket);
  ~ControlSession();

  void start();
  void close();
  void send(const nlohmann::json& reply, bool last);
  // Since when it has been waiting for a request (nothing of it in progress); empty while a
  // request is being served.
  std::optional<std::chrono::steady_clock::time_point> idle_since() const { return idle_since_; }

 private:
  std::vector<gid_t> peer_groups();
  void read_request();
  void on_line(const boost::system::error_code& ec, size_t bytes);
  void dispatch(const std::string& line);
  void write_next();

  ControlServer* server_;  // null once the server forgot this session
  boost::asio::local::stream_protocol::socket socket_;
  boost::asio::steady_timer deadline_;
  boost::asio::streambuf input_;
  std::deque<std::string> output_;
  bool writing_ = false;
  bool closing_after_write_ = false;
  bool closed_ = false;
  std::optional<std::chrono::steady_clock::time_point> idle_since_;
};

}  // namespace nb::daemon
