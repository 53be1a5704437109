// The one error style of nodebackup: expected per-operation failures are returned as
// `Result<T>` (std::expected<T, Error>). Exceptions never cross a module boundary; third-party
// code that throws (nlohmann::json) is caught where it is called and turned into an Error.
#pragma once

#include <cerrno>
#include <expected>
#include <string>
#include <utility>

namespace nb {

// What kind of thing went wrong, for a caller that acts on it (an exit code, a retry policy)
// without comparing operation strings.
enum class ErrorKind {
  system,     // the OS or the network said no (errno), the default
  config,     // the configuration cannot be read or is invalid
  protocol,   // a node or peer sent bytes that are not what the protocol allows
  integrity,  // stored data (repository, hash store) fails its own checks
};

class Error {
 public:
  // `op` says what was attempted ("open", "parse config"), `path` what it was attempted on,
  // `code` is the errno (0 when the failure is not a system error), `detail` adds the why.
  // A transient error (connection dropped, timed out) may succeed on retry; a permanent one
  // (bad config, corrupt object, EACCES) will not.
  Error(std::string op, std::string path, int code, std::string detail = {}, bool transient = false)
      : op_(std::move(op)),
        path_(std::move(path)),
        code_(code),
        detail_(std::move(detail)),
        transient_(transient),
        kind_(code == EPROTO ? ErrorKind::protocol : ErrorKind::system) {}

  const std::string& op() const { return op_; }
  const std::string& path() const { return path_; }
  int code() const { return code_; }
  const std::string& detail() const { return detail_; }
  bool transient() const { return transient_; }
  ErrorKind kind() const { return kind_; }
  // The same error, of another kind: set where an operation's errors all share one.
  Error with_kind(ErrorKind kind) && {
    kind_ = kind;
    return std::move(*this);
  }

  // "open /etc/app/x: Permission denied" or "parse config /etc/x.json: line 3 column 5: ..."
  std::string message() const;

 private:
  std::string op_;
  std::string path_;
  int code_;
  std::string detail_;
  bool transient_;
  ErrorKind kind_;
};

template <typename T = void>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(std::string op, std::string path, int code,
                                   std::string detail = {}, bool transient = false) {
  return std::unexpected<Error>(
      Error(std::move(op), std::move(path), code, std::move(detail), transient));
}

// The single place errno becomes an Error: always names the operation and the path, and
// classes the errno as transient or permanent.
std::unexpected<Error> errno_error(std::string op, std::string path, int code);

// Human-readable size: "0 B", "1.5 KiB", "12.0 MiB".
std::string format_bytes(unsigned long long bytes);

}  // namespace nb
