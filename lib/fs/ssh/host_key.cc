// Host key verification against the node's known_hosts file, in OpenSSH's format and with its
// policies: `strict` refuses a host it does not know; `accept-new` records a first-seen key.
// A key that differs from the recorded one is always refused.
#include <libssh2.h>

#include "fs/ssh/ssh_connection.h"
#include "util/file.h"

namespace nb::fs::ssh {

namespace {

int knownhost_key_type(int hostkey_type) {
  switch (hostkey_type) {
    case LIBSSH2_HOSTKEY_TYPE_RSA:
      return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
    case LIBSSH2_HOSTKEY_TYPE_DSS:
      return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
      return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
      return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
      return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
    case LIBSSH2_HOSTKEY_TYPE_ED25519:
      return LIBSSH2_KNOWNHOST_KEY_ED25519;
    default:
      return LIBSSH2_KNOWNHOST_KEY_UNKNOWN;
  }
}

// The name known_hosts uses: "host", or "[host]:port" off port 22.
std::string known_name(const SshTarget& t) {
  return t.port == 22 ? t.host : "[" + t.host + "]:" + std::to_string(t.port);
}

struct KnownHosts {
  LIBSSH2_KNOWNHOSTS* hosts;
  ~KnownHosts() { libssh2_knownhost_free(hosts); }
};

}  // namespace

Result<> SshConnection::verify_host_key(const SshTarget& target) {
  size_t key_len = 0;
  int key_type = 0;
  const char* key = libssh2_session_hostkey(session_, &key_len, &key_type);
  const auto* digest = reinterpret_cast<const unsigned char*>(
      libssh2_hostkey_hash(session_, LIBSSH2_HOSTKEY_HASH_SHA256));
  if (key == nullptr || digest == nullptr) return std::unexpected(last_error("host key", {}));
  const std::string fingerprint = sha256_fingerprint(digest);

  KnownHosts known{libssh2_knownhost_init(session_)};
  if (known.hosts == nullptr) return fail("host key", where_, ENOMEM);
  const int loaded = libssh2_knownhost_readfile(known.hosts, target.known_hosts.c_str(),
                                                LIBSSH2_KNOWNHOST_FILE_OPENSSH);
  const bool file_missing = loaded < 0 && !read_file(target.known_hosts);
  if (loaded < 0 && !file_missing) {
    return fail("host key", where_, 0, "cannot read known_hosts " + target.known_hosts);
  }
  const int mask =
      LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | knownhost_key_type(key_type);
  const int check = libssh2_knownhost_checkp(known.hosts, target.host.c_str(), target.port, key,
                                             key_len, mask, nullptr);
  switch (check) {
    case LIBSSH2_KNOWNHOST_CHECK_MATCH:
      return {};
    case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
      return fail("host key", where_, 0,
                  "HOST KEY CHANGED: the server offered " + fingerprint +
                      ", which does not match " + target.known_hosts +
                      ". Someone could be intercepting the connection (or the host was "
                      "reinstalled): check the key out of band and fix known_hosts");
    case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
      break;
    default:
      return fail("host key", where_, 0, "cannot check the host key");
  }
  if (!target.accept_new) {
    return fail("host key", where_, 0,
                "unknown host: the server offered " + fingerprint + ", not in " +
                    target.known_hosts +
                    " (host_key_policy \"strict\"); add the key, or use \"accept-new\" for "
                    "first contact");
  }
  const std::string name = known_name(target);
  if (libssh2_knownhost_addc(known.hosts, name.c_str(), nullptr, key, key_len, "nodebackup", 10,
                             mask, nullptr) != 0 ||
      libssh2_knownhost_writefile(known.hosts, target.known_hosts.c_str(),
                                  LIBSSH2_KNOWNHOST_FILE_OPENSSH) != 0) {
    return fail("host key", where_, 0, "cannot record the new key in " + target.known_hosts);
  }
  return {};
}

}  // namespace nb::fs::ssh
