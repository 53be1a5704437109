#include "fs/ssh/ssh_connection.h"

#include <fcntl.h>
#include <libssh2.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "util/file.h"

namespace nb::fs::ssh {

namespace {

void init_libssh2_once() {
  static std::once_flag once;
  std::call_once(once, [] { libssh2_init(0); });
}

// A TCP connection with a deadline: an unreachable host fails within `timeout`.
Result<int> connect_tcp(const std::string& host, int port, std::chrono::seconds timeout,
                        const std::string& where) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (rc != 0) return fail("connect", where, 0, std::string("resolve: ") + gai_strerror(rc), true);
  int last_errno = ECONNREFUSED;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    int err = ::connect(fd, a->ai_addr, a->ai_addrlen) == 0 ? 0 : errno;
    if (err == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(timeout.count() * 1000));
      socklen_t len = sizeof err;
      if (ready <= 0) {
        err = ETIMEDOUT;
      } else {
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      }
    }
    if (err == 0) {
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
      // SFTP and channel requests are small request/response packets: without this, Nagle's
      // algorithm and delayed ACKs add ~40 ms to many of them.
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      ::freeaddrinfo(found);
      return fd;
    }
    last_errno = err;
    ::close(fd);
  }
  ::freeaddrinfo(found);
  return fail("connect", where, last_errno, {}, true);
}

}  // namespace

std::string sha256_fingerprint(const unsigned char digest[32]) {
  static const char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out = "SHA256:";
  for (int i = 0; i < 32; i += 3) {
    const unsigned v =
        digest[i] << 16 | (i + 1 < 32 ? digest[i + 1] << 8 : 0) | (i + 2 < 32 ? digest[i + 2] : 0);
    out += table[v >> 18 & 63];
    out += table[v >> 12 & 63];
    if (i + 1 < 32) out += table[v >> 6 & 63];
    if (i + 2 < 32) out += table[v & 63];
  }
  return out;  // unpadded, as OpenSSH prints it
}

Result<std::unique_ptr<SshConnection>> SshConnection::open(const SshTarget& target) {
  init_libssh2_once();
  std::unique_ptr<SshConnection> c(new SshConnection());
  c->timeout_ = target.timeout;
  c->where_ = target.node_id + " (" + target.user + "@" + target.host + ":" +
              std::to_string(target.port) + ")";
  auto fd = connect_tcp(target.host, target.port, target.timeout, c->where_);
  if (!fd) return std::unexpected(fd.error());
  c->socket_ = *fd;
  if (auto r = c->handshake(target); !r) return std::unexpected(r.error());
  if (auto r = c->verify_host_key(target); !r) return std::unexpected(r.error());
  if (auto r = c->authenticate(target); !r) return std::unexpected(r.error());
  // Only now: libssh2 1.10 fails the key exchange when keepalives are configured before it.
  libssh2_keepalive_config(c->session_, 1, 15);
  return c;
}

SshConnection::~SshConnection() {
  if (session_ != nullptr) {
    libssh2_session_disconnect(session_, "nodebackup done");
    libssh2_session_free(session_);
  }
  if (socket_ >= 0) ::close(socket_);
}

Result<> SshConnection::handshake(const SshTarget& target) {
  session_ = libssh2_session_init();
  if (session_ == nullptr) return fail("ssh session", where_, ENOMEM);
  libssh2_session_set_blocking(session_, 1);
  libssh2_session_set_timeout(session_, static_cast<long>(target.timeout.count() * 1000));
  if (libssh2_session_handshake(session_, socket_) != 0)
    return std::unexpected(last_error("ssh handshake", {}));
  return {};
}

Result<> SshConnection::authenticate(const SshTarget& target) {
  const int rc = libssh2_userauth_publickey_fromfile_ex(
      session_, target.user.c_str(), static_cast<unsigned>(target.user.size()), nullptr,
      target.identity_file.c_str(), nullptr);
  if (rc == 0) return {};
  Error e = last_error("authenticate", {});
  // libssh2 1.10 signs with RSA only as "ssh-rsa" (SHA-1), which OpenSSH refuses since 8.8.
  auto pub = read_file(target.identity_file + ".pub");
  const bool rsa =
      (pub && pub->starts_with("ssh-rsa")) ||
      read_file(target.identity_file).value_or("").find("BEGIN RSA") != std::string::npos;
  return fail("authenticate", where_, 0,
              "public key " + target.identity_file + " refused or unusable (" + e.detail() + ")" +
                  (rsa ? "; RSA keys need the server to accept ssh-rsa (SHA-1) signatures: use "
                         "an ed25519 key"
                       : ""));
}

void SshConnection::keepalive() {
  int next = 0;
  libssh2_keepalive_send(session_, &next);
}

Error SshConnection::last_error(const std::string& op, const std::string& path) const {
  char* message = nullptr;
  const int code = libssh2_session_last_error(session_, &message, nullptr, 0);
  const std::string shown = path.empty() ? where_ : path;
  const bool timed_out = code == LIBSSH2_ERROR_TIMEOUT;
  return Error(op, shown + (path.empty() ? "" : " on " + where_), timed_out ? ETIMEDOUT : 0,
               message != nullptr && *message ? message : "connection failed", true);
}

ChannelHandle& ChannelHandle::operator=(ChannelHandle&& other) noexcept {
  if (this != &other) {
    reset();
    session_ = other.session_;
    channel_ = std::exchange(other.channel_, nullptr);
  }
  return *this;
}

void ChannelHandle::reset() {
  if (channel_ == nullptr) return;
  const int was_blocking = libssh2_session_get_blocking(session_);
  libssh2_session_set_blocking(session_, 1);
  libssh2_channel_free(channel_);
  libssh2_session_set_blocking(session_, was_blocking);
  channel_ = nullptr;
}

}  // namespace nb::fs::ssh
