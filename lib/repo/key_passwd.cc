#include "repo/key_passwd.h"

#include <sodium.h>

namespace nb::repo {

Result<> change_passphrase(Repository& repo, std::string_view new_passphrase,
                           const KdfParams& kdf) {
  if (!repo.keys().encrypted) {
    return fail("key passwd", repo.root(), 0, "the repository is not encrypted");
  }
  if (new_passphrase.empty()) return fail("key passwd", repo.root(), 0, "empty passphrase");
  auto old = repo.storage().list("keys/");
  if (!old) return std::unexpected(old.error());
  uint8_t random[8];
  randombytes_buf(random, sizeof random);
  std::string name = "keys/";
  for (uint8_t b : random) name += "0123456789abcdef"[b >> 4], name += "0123456789abcdef"[b & 15];
  if (auto r = repo.storage().put(name, wrap_keys(repo.keys(), new_passphrase, kdf)); !r) return r;
  for (const auto& f : *old) {
    if (f.name == name) continue;
    if (auto r = repo.storage().remove(f.name); !r) return r;
  }
  return {};
}

}  // namespace nb::repo
