// The repository's secrets and the one envelope every stored thing is sealed in.
//
// Envelope (blobs, pack headers, index files, snapshot records):
//   inner  = compression (1 byte: 0 none, 1 zstd) ‖ payload
//   plain  = inner ‖ BLAKE2b-128(inner)                       (a flipped byte fails the check)
//   crypt  = nonce (24 random bytes) ‖ XChaCha20-Poly1305(data_key, nonce, inner) (ct ‖ tag)
// so a flipped byte anywhere is detected on open, with or without encryption.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "repo/format/blob_id.h"
#include "util/error.h"

namespace nb::repo {

struct RepoKeys {
  bool encrypted = false;
  std::array<uint8_t, 32> data_key{};      // XChaCha20-Poly1305 (encrypted only)
  std::array<uint8_t, 32> id_key{};        // BLAKE2b key for blob ids (encrypted only)
  std::array<uint8_t, 32> chunker_seed{};  // seeds the chunker's gear table

  // Fresh random secrets for a new repository.
  static RepoKeys generate(bool encrypted);
};

// Calls sodium_init() once; aborts the process if libsodium cannot initialise (no entropy).
void ensure_sodium();

BlobId blob_id(const RepoKeys& keys, std::string_view plaintext);
// BLAKE2b-256 of `data`, unkeyed: names packs and index files by their bytes.
BlobId content_name(std::string_view data);

// content_name() of bytes that arrive piece by piece (a pack written as it fills).
class ContentNamer {
 public:
  ContentNamer();
  void update(std::string_view data);
  BlobId finish();

 private:
  alignas(64) std::array<unsigned char, 384> state_;  // crypto_generichash_state
};

// Seals `plaintext`; with `compress`, zstd is tried and kept only when it saves space.
std::string seal(const RepoKeys& keys, std::string_view plaintext, bool compress = true);
// Opens a sealed envelope: fails naming `what` when it was altered or the key is wrong.
Result<std::string> unseal(const RepoKeys& keys, std::string_view sealed, const std::string& what);
// Bytes seal() adds around the inner form.
size_t seal_overhead(const RepoKeys& keys);

// Argon2id cost of a key file's passphrase.
struct KdfParams {
  uint64_t opslimit = 3;
  uint64_t memlimit = uint64_t{64} << 20;
};

// Bounds on a key file's Argon2id cost: a damaged or planted key file must not make opening
// the repository take hours or all the memory.
constexpr uint64_t kMaxKdfOpslimit = 100;
constexpr uint64_t kMaxKdfMemlimit = uint64_t{4} << 30;

// A key file's fields, checked for form (no key derived yet).
struct KeyFile {
  KdfParams kdf;
  std::array<uint8_t, 16> salt{};   // crypto_pwhash_SALTBYTES
  std::array<uint8_t, 24> nonce{};  // XChaCha20-Poly1305
  std::string wrapped;
};
Result<KeyFile> parse_key_file(std::string_view key_file, const std::string& what);

// A key file: the secrets wrapped by a key Argon2id derives from `passphrase`. JSON text.
std::string wrap_keys(const RepoKeys& keys, std::string_view passphrase, const KdfParams& kdf);
// Fails with detail "wrong passphrase" when the passphrase does not open it.
Result<RepoKeys> unwrap_keys(std::string_view key_file, std::string_view passphrase,
                             const std::string& what);

}  // namespace nb::repo
