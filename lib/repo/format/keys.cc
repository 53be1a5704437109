#include "repo/format/keys.h"

#include <sodium.h>
#include <zstd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>

#include "repo/format/corrupt.h"
#include "util/json_integer.h"
#include "util/json_text.h"

namespace nb::repo {

namespace {

constexpr uint8_t kRaw = 0;
constexpr uint8_t kZstd = 1;
constexpr size_t kChecksum = 16;
// Level 3 is zstd's default: most of the gain at a few hundred MB/s per core.
constexpr int kZstdLevel = 3;
constexpr size_t kMinCompress = 64;  // below this the frame header eats the gain
constexpr size_t kSecrets = 96;

const uint8_t* u8(std::string_view s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

std::string inner_form(std::string_view plaintext, bool compress) {
  std::string inner;
  if (compress && plaintext.size() >= kMinCompress) {
    inner.resize(1 + ZSTD_compressBound(plaintext.size()));
    const size_t n = ZSTD_compress(inner.data() + 1, inner.size() - 1, plaintext.data(),
                                   plaintext.size(), kZstdLevel);
    // Kept only when it saves at least 1/32: data that does not compress is stored as is,
    // so restoring it costs no decompression either.
    if (!ZSTD_isError(n) && n + n / 32 < plaintext.size()) {
      inner[0] = static_cast<char>(kZstd);
      inner.resize(1 + n);
      return inner;
    }
  }
  inner.clear();
  inner.reserve(1 + plaintext.size());
  inner.push_back(static_cast<char>(kRaw));
  inner.append(plaintext);
  return inner;
}

Result<std::string> from_inner(std::string_view inner, const std::string& what) {
  if (inner.empty()) return corrupt("open", what, EIO, "empty envelope");
  const auto body = inner.substr(1);
  if (static_cast<uint8_t>(inner[0]) == kRaw) return std::string(body);
  if (static_cast<uint8_t>(inner[0]) != kZstd)
    return corrupt("open", what, EIO, "unknown compression");
  const auto size = ZSTD_getFrameContentSize(body.data(), body.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > (1ull << 32)) {
    return corrupt("decompress", what, EIO, "bad zstd frame");
  }
  // The frame's declared size is only a claim (a few damaged bytes can declare gigabytes): it
  // is reserved up front only within a plausible ratio of the compressed size, and beyond that
  // memory grows with what the frame really produces, never past what it declared. (Grown by
  // doubling from 1 MiB, a 6 MiB index held 12 MiB at its peak.)
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> dctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (!dctx) return fail("decompress", what, ENOMEM, "out of memory");
  std::string out;
  const uint64_t plausible = std::max<uint64_t>(uint64_t{1} << 20, uint64_t{body.size()} * 32);
  out.reserve(std::min<uint64_t>(size, plausible));
  ZSTD_inBuffer in{body.data(), body.size(), 0};
  std::string piece(std::min<uint64_t>(size, ZSTD_DStreamOutSize()) + 1, '\0');
  size_t rc = 1;
  while (rc != 0) {
    ZSTD_outBuffer o{piece.data(), piece.size(), 0};
    rc = ZSTD_decompressStream(dctx.get(), &o, &in);
    if (ZSTD_isError(rc) || out.size() + o.pos > size) {
      return corrupt("decompress", what, EIO, "bad zstd frame");
    }
    if (out.size() + o.pos > out.capacity()) {
      out.reserve(std::min<uint64_t>(size, std::max(out.capacity() * 2, out.size() + o.pos)));
    }
    out.append(piece.data(), o.pos);
    if (rc != 0 && in.pos == in.size && o.pos < o.size) {
      return corrupt("decompress", what, EIO, "truncated zstd frame");
    }
  }
  if (out.size() != size || in.pos != in.size) {
    return corrupt("decompress", what, EIO, "bad zstd frame");
  }
  return out;
}

std::array<uint8_t, 32> kek_from(std::string_view passphrase, const uint8_t* salt,
                                 const KdfParams& kdf, bool& ok) {
  std::array<uint8_t, 32> kek{};
  ok = crypto_pwhash(kek.data(), kek.size(), passphrase.data(), passphrase.size(), salt,
                     kdf.opslimit, kdf.memlimit, crypto_pwhash_ALG_ARGON2ID13) == 0;
  return kek;
}

}  // namespace

void ensure_sodium() {
  static const int ready = sodium_init();
  if (ready < 0) std::abort();
}

RepoKeys RepoKeys::generate(bool encrypted) {
  ensure_sodium();
  RepoKeys keys;
  keys.encrypted = encrypted;
  randombytes_buf(keys.chunker_seed.data(), keys.chunker_seed.size());
  if (encrypted) {
    crypto_aead_xchacha20poly1305_ietf_keygen(keys.data_key.data());
    randombytes_buf(keys.id_key.data(), keys.id_key.size());
  }
  return keys;
}

BlobId blob_id(const RepoKeys& keys, std::string_view plaintext) {
  ensure_sodium();
  BlobId id;
  crypto_generichash(id.mutable_bytes().data(), BlobId::kSize, u8(plaintext), plaintext.size(),
                     keys.encrypted ? keys.id_key.data() : nullptr,
                     keys.encrypted ? keys.id_key.size() : 0);
  return id;
}

BlobId content_name(std::string_view data) {
  ensure_sodium();
  BlobId id;
  crypto_generichash(id.mutable_bytes().data(), BlobId::kSize, u8(data), data.size(), nullptr, 0);
  return id;
}

static_assert(sizeof(crypto_generichash_state) <= 384);

ContentNamer::ContentNamer() {
  ensure_sodium();
  crypto_generichash_init(reinterpret_cast<crypto_generichash_state*>(state_.data()), nullptr, 0,
                          BlobId::kSize);
}

void ContentNamer::update(std::string_view data) {
  crypto_generichash_update(reinterpret_cast<crypto_generichash_state*>(state_.data()), u8(data),
                            data.size());
}

BlobId ContentNamer::finish() {
  BlobId id;
  crypto_generichash_final(reinterpret_cast<crypto_generichash_state*>(state_.data()),
                           id.mutable_bytes().data(), BlobId::kSize);
  return id;
}

size_t seal_overhead(const RepoKeys& keys) {
  return keys.encrypted ? crypto_aead_xchacha20poly1305_ietf_NPUBBYTES +
                              crypto_aead_xchacha20poly1305_ietf_ABYTES
                        : kChecksum;
}

std::string seal(const RepoKeys& keys, std::string_view plaintext, bool compress) {
  ensure_sodium();
  std::string inner = inner_form(plaintext, compress);
  if (!keys.encrypted) {
    uint8_t sum[kChecksum];
    crypto_generichash(sum, sizeof sum, u8(inner), inner.size(), nullptr, 0);
    inner.append(reinterpret_cast<const char*>(sum), sizeof sum);
    return inner;
  }
  constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  std::string out(kNonce + inner.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  auto* nonce = reinterpret_cast<uint8_t*>(out.data());
  randombytes_buf(nonce, kNonce);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + kNonce, &written, u8(inner), inner.size(),
                                             nullptr, 0, nullptr, nonce, keys.data_key.data());
  out.resize(kNonce + written);
  return out;
}

Result<std::string> unseal(const RepoKeys& keys, std::string_view sealed, const std::string& what) {
  ensure_sodium();
  if (!keys.encrypted) {
    if (sealed.size() < 1 + kChecksum) return corrupt("open", what, EIO, "truncated");
    const auto inner = sealed.substr(0, sealed.size() - kChecksum);
    uint8_t sum[kChecksum];
    crypto_generichash(sum, sizeof sum, u8(inner), inner.size(), nullptr, 0);
    if (sodium_memcmp(sum, u8(sealed.substr(inner.size())), kChecksum) != 0) {
      return corrupt("open", what, EIO, "checksum mismatch: the data is corrupt");
    }
    return from_inner(inner, what);
  }
  constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  constexpr size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;
  if (sealed.size() < kNonce + kTag + 1) return corrupt("open", what, EIO, "truncated");
  std::string inner(sealed.size() - kNonce - kTag, '\0');
  unsigned long long n = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<uint8_t*>(inner.data()), &n, nullptr, u8(sealed.substr(kNonce)),
          sealed.size() - kNonce, nullptr, 0, u8(sealed), keys.data_key.data()) != 0) {
    return corrupt("open", what, EIO, "authentication failed: the data is corrupt or was altered");
  }
  inner.resize(n);
  return from_inner(inner, what);
}

std::string wrap_keys(const RepoKeys& keys, std::string_view passphrase, const KdfParams& kdf) {
  ensure_sodium();
  uint8_t salt[crypto_pwhash_SALTBYTES];
  randombytes_buf(salt, sizeof salt);
  bool ok = false;
  auto kek = kek_from(passphrase, salt, kdf, ok);
  if (!ok) std::abort();  // only out of memory: the parameters are ours
  std::string secrets;
  for (const auto* part : {&keys.data_key, &keys.id_key, &keys.chunker_seed}) {
    secrets.append(reinterpret_cast<const char*>(part->data()), part->size());
  }
  uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
  randombytes_buf(nonce, sizeof nonce);
  std::string wrapped(secrets.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  unsigned long long n = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(reinterpret_cast<uint8_t*>(wrapped.data()), &n,
                                             u8(secrets), secrets.size(), nullptr, 0, nullptr,
                                             nonce, kek.data());
  sodium_memzero(kek.data(), kek.size());
  sodium_memzero(secrets.data(), secrets.size());
  const nlohmann::json j = {
      {"format", "nodebackup-key/1"},
      {"kdf", "argon2id"},
      {"opslimit", kdf.opslimit},
      {"memlimit", kdf.memlimit},
      {"salt", hex_encode({reinterpret_cast<const char*>(salt), sizeof salt})},
      {"nonce", hex_encode({reinterpret_cast<const char*>(nonce), sizeof nonce})},
      {"wrapped", hex_encode(wrapped)}};
  return j.dump(1) + "\n";
}

Result<KeyFile> parse_key_file(std::string_view key_file, const std::string& what) {
  try {
    const auto j = nlohmann::json::parse(key_file);
    if (j.at("format") != "nodebackup-key/1" || j.at("kdf") != "argon2id") {
      return corrupt("read key", what, 0, "unknown key format");
    }
    KeyFile k;
    k.kdf = {integer_field<uint64_t>(j, "opslimit"), integer_field<uint64_t>(j, "memlimit")};
    const auto salt = hex_decode(j.at("salt").get<std::string>());
    const auto nonce = hex_decode(j.at("nonce").get<std::string>());
    const auto wrapped = hex_decode(j.at("wrapped").get<std::string>());
    if (!salt || salt->size() != k.salt.size() || !nonce || nonce->size() != k.nonce.size() ||
        !wrapped || wrapped->size() != kSecrets + crypto_aead_xchacha20poly1305_ietf_ABYTES ||
        k.kdf.memlimit > kMaxKdfMemlimit || k.kdf.opslimit > kMaxKdfOpslimit) {
      return corrupt("read key", what, 0, "malformed key file");
    }
    std::memcpy(k.salt.data(), salt->data(), k.salt.size());
    std::memcpy(k.nonce.data(), nonce->data(), k.nonce.size());
    k.wrapped = std::move(*wrapped);
    return k;
  } catch (const std::exception& e) {
    return corrupt("read key", what, 0, e.what());
  }
}

Result<RepoKeys> unwrap_keys(std::string_view key_file, std::string_view passphrase,
                             const std::string& what) {
  ensure_sodium();
  auto k = parse_key_file(key_file, what);
  if (!k) return std::unexpected(k.error());
  bool ok = false;
  auto kek = kek_from(passphrase, k->salt.data(), k->kdf, ok);
  if (!ok) return fail("read key", what, ENOMEM, "Argon2id failed (out of memory?)");
  std::string secrets(kSecrets, '\0');
  unsigned long long n = 0;
  const int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
      reinterpret_cast<uint8_t*>(secrets.data()), &n, nullptr, u8(k->wrapped), k->wrapped.size(),
      nullptr, 0, k->nonce.data(), kek.data());
  sodium_memzero(kek.data(), kek.size());
  if (rc != 0) return fail("open repository", what, EACCES, "wrong passphrase");
  RepoKeys keys;
  keys.encrypted = true;
  std::memcpy(keys.data_key.data(), secrets.data(), 32);
  std::memcpy(keys.id_key.data(), secrets.data() + 32, 32);
  std::memcpy(keys.chunker_seed.data(), secrets.data() + 64, 32);
  sodium_memzero(secrets.data(), secrets.size());
  return keys;
}

}  // namespace nb::repo
