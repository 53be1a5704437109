// Pack files: many sealed blobs in one storage file, so 100,000 small files cost a handful
// of puts, not 100,000. Layout (docs/repository-format.md):
//
//   blob 0 ‖ blob 1 ‖ … ‖ header ‖ header length (u32 LE) ‖ "nbpack02"
//
// Each blob is a sealed envelope on its own (keys.h), so a pack can be cut apart and its
// blobs copied into another pack by prune without being opened. The header is sealed too
// and lists, in order, each blob's type (u8), id (32 bytes), sealed length (u32 LE) and
// plaintext length (u32 LE); offsets follow from the lengths. A pack is self-describing: its
// index entries can be rebuilt from it alone. Packs are named data/<2 hex>/<BLAKE2b-256 of the
// pack's bytes>, immutable once written.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "repo/format/blob_id.h"
#include "repo/format/keys.h"
#include "util/error.h"

namespace nb::repo {

// 16 MiB, as restic's current default: big enough that a backup of 100,000 small files makes
// a few dozen files, small enough that prune rewriting one costs little and an object store
// PUT of one is quick to retry.
constexpr size_t kPackTargetSize = 16 << 20;

// Bytes a pack spends per blob in its header, and once on its trailer and the header's
// compression byte (the header's seal overhead comes on top).
constexpr size_t kPackHeaderEntrySize = 1 + 32 + 4 + 4;
constexpr size_t kPackFixedOverhead = 4 + 8 + 1;

struct PackBlob {
  BlobType type = BlobType::data;
  BlobId id;
  uint32_t offset = 0;
  uint32_t length = 0;      // sealed bytes in the pack
  uint32_t raw_length = 0;  // plaintext bytes
};

// What follows a pack's blobs: the sealed header listing `blobs`, its length, the magic.
std::string encode_pack_tail(const RepoKeys& keys, const std::vector<PackBlob>& blobs);

std::string pack_name(const BlobId& pack_id);

// Parses a whole pack's header; fails naming `what` on a bad trailer or header, or when the
// header's blobs do not fit in the file.
Result<std::vector<PackBlob>> read_pack_header(const RepoKeys& keys, std::string_view pack,
                                               const std::string& what);

}  // namespace nb::repo
