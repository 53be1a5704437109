#include "fuzz/fuzz_targets.h"

#include <cstdlib>
#include <string>
#include <string_view>

#include <sodium.h>
#include "common/control_request.h"
#include "common/copy_history.h"
#include "common/node_restore.h"
#include "common/status_schema.h"
#include "config/config.h"
#include "fs/ssh/find_records.h"
#include "fs/ssh/remote_session.h"
#include "fs/ssh/sftp_attrs.h"
#include "fs/ssh/sftp_wire.h"
#include "fs/ssh/tar_stream.h"

#include "repo/chunk_list.h"
#include "repo/format/index.h"
#include "repo/format/keys.h"
#include "repo/format/pack.h"
#include "repo/snapshot.h"
#include "repo/storage/s3/s3_xml.h"
#include "repo/tree.h"
#include "repo/tree_fast.h"
#include "store/hash_store.h"
#include "store/store_reader.h"

namespace nb::fuzz {

namespace {

std::string_view text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Streams arrive in pieces of any size: the first byte picks where the input is cut, so the
// parsers' state across chunk boundaries is exercised too.
template <typename Feed>
void in_chunks(const uint8_t* data, size_t size, Feed feed) {
  if (size == 0) return;
  const size_t step = 1 + data[0] % 97;
  std::string_view rest = text(data + 1, size - 1);
  while (!rest.empty()) {
    const auto piece = rest.substr(0, step);
    rest.remove_prefix(piece.size());
    if (!feed(piece)) return;
  }
}

// Both stream parsers are fed as the exec session feeds them: through the body reader that
// finds where a reply's body ends (remote_session.h).
bool body_piece(const fs::ssh::BodyReader& body, std::string_view piece) {
  const auto used = body(piece);
  return used && *used == piece.size();  // a body that ended stops the feed
}

void find_records(const uint8_t* data, size_t size) {
  fs::ssh::FindRecordParser parser(
      [](const std::string&, const fs::FileMeta&) -> Result<> { return {}; });
  const auto body = fs::ssh::find_body([&](std::string_view chunk) { return parser.feed(chunk); });
  in_chunks(data, size, [&](std::string_view piece) { return body_piece(body, piece); });
}

// libarchive reads the exec transport's tar stream; fed in pieces as the session hands them
// over. A sparse member's holes are bounded by the caller's size check in the transport, so
// here a member's zeros are counted and dropped, not stored.
void tar_stream(const uint8_t* data, size_t size) {
  if (size == 0) return;
  const size_t step = 1 + data[0] % 97;
  std::string_view rest = text(data + 1, size - 1);
  uint64_t zeros_budget = 64 << 20;
  const fs::ssh::TarCallbacks callbacks{.begin = [](const fs::ssh::TarMember& m) -> Result<> {
                                          // As the transport does: a member larger than it asked
                                          // for is refused.
                                          if (m.meta.size > (uint64_t{1} << 26))
                                            return fail("fuzz", m.path, EPROTO);
                                          return {};
                                        },
                                        .data = [&](std::string_view chunk) -> Result<> {
                                          if (chunk.size() > zeros_budget)
                                            return fail("fuzz", "", EPROTO);
                                          zeros_budget -= chunk.size();
                                          return {};
                                        }};
  (void)fs::ssh::read_tar(
      [&]() -> Result<std::string_view> {
        if (rest.empty()) return fail("read", "fuzz", EIO, "end of input");
        const auto piece = rest.substr(0, step);
        rest.remove_prefix(piece.size());
        return piece;
      },
      callbacks, "fuzz");
}

void sftp_packets(const uint8_t* data, size_t size) {
  namespace wire = fs::ssh::wire;
  const std::string buffer(text(data, size));
  size_t offset = 0;
  bool bad = false;
  while (auto reply = wire::next_reply(buffer, offset, bad)) {
    (void)wire::status_error(*reply, "read", "/x");
    if (auto names = wire::read_names(*reply)) {
      for (const auto& n : *names) (void)fs::ssh::meta_from_attrs(n.attrs);
    }
    wire::PacketReader r(reply->body);
    (void)fs::ssh::meta_from_attrs(wire::read_attrs(r));
    (void)r.str();
  }
}

// What an S3 store (or anything at its address) answers: listings, multipart uploads, errors.
void s3_xml(const uint8_t* data, size_t size) {
  const auto xml = text(data, size);
  (void)repo::s3::parse_list_page(xml);
  (void)repo::s3::parse_uploads_page(xml);
  (void)repo::s3::parse_upload_id(xml);
  (void)repo::s3::parse_error_reply(xml);
  (void)repo::s3::parse_iso_time(xml);
}

// The daemon's copies.json, as a disk or a hand may have left it.
void copy_state(const uint8_t* data, size_t size) {
  (void)daemon::parse_copy_state(text(data, size), "copies.json");
}

// What the node's restore script (and its login shell) said, with each exit status that
// matters to the reader.
void restore_output(const uint8_t* data, size_t size) {
  const std::string output(text(data, size));
  for (const int status : {0, 1, 4}) {
    CommandOutcome outcome;
    outcome.exit_code = status;
    (void)restore_script_lines(output, "node:/", outcome);
  }
}

void config(const uint8_t* data, size_t size) {
  (void)config::parse_config(text(data, size), "fuzz.json");
}

// Differential: whatever the streaming reader accepts, fed in pieces, the general reader must
// accept with the same entries (store_reader.h); and what loads must save.
void hash_store(const uint8_t* data, size_t size) {
  if (size == 0) return;
  const std::string_view whole = text(data + 1, size - 1);
  store::LoadedNodes general, shaped;
  store::LoadReport general_report, shaped_report;
  const bool general_ok =
      store::parse_store_text(whole, "fuzz", general, general_report).has_value();
  store::ShapeReader reader(shaped, shaped_report);
  std::string pending;
  bool shaped_ok = true;
  in_chunks(data, size, [&](std::string_view piece) {
    pending += piece;
    const auto used = reader.feed(pending, false);
    if (!used) return shaped_ok = false;
    pending.erase(0, *used);
    return true;
  });
  shaped_ok = shaped_ok && reader.feed(pending, true).has_value() && reader.finished();
  if (shaped_ok && (!general_ok || general != shaped ||
                    general_report.legacy_values != shaped_report.legacy_values)) {
    std::abort();
  }
  store::HashStore store;
  store::LoadReport report;
  if (store.from_json(whole, "fuzz", report)) (void)store.to_json();
}

void snapshot_record(const uint8_t* data, size_t size) {
  if (auto r = repo::decode_snapshot(text(data, size), "fuzz")) (void)repo::encode_snapshot(*r);
}

// Whatever listing decodes re-encodes to the canonical form, which the fast decoder must read
// back to the same entries: the fast path and the encoder cannot drift apart (chunk lists
// included). The same bytes are also tried as a chunk-list piece.
void tree_listing(const uint8_t* data, size_t size) {
  (void)repo::decode_chunk_list(text(data, size), "fuzz");
  auto tree = repo::decode_tree(text(data, size), "fuzz");
  if (!tree) return;
  const std::string canonical = repo::encode_tree(*tree);
  // The fast decoder leaves escaped strings to the general one; what it does take must be
  // what the general one reads.
  auto again = repo::decode_canonical_tree(canonical);
  if (again && again->entries != tree->entries) std::abort();
  auto general = repo::decode_tree(canonical, "fuzz");
  if (!general || general->entries != tree->entries) std::abort();
}

// Repository bytes are sealed (format/keys.h): a plain repository's envelope ends in a BLAKE2b
// checksum no fuzzer guesses. So the input is taken as the envelope's inner form (compression
// byte, payload) and sealed here with its checksum: the decompressor and the parsers behind the
// envelope see the fuzzer's bytes.
std::string plain_envelope(std::string_view inner) {
  std::string out(inner);
  uint8_t sum[16];
  crypto_generichash(sum, sizeof sum, reinterpret_cast<const uint8_t*>(inner.data()), inner.size(),
                     nullptr, 0);
  out.append(reinterpret_cast<const char*>(sum), sizeof sum);
  return out;
}

const repo::RepoKeys& plain_keys() {
  static const repo::RepoKeys keys = [] {
    repo::ensure_sodium();
    return repo::RepoKeys{};
  }();
  return keys;
}

// The envelope itself, as stored (checksum and all) and with a valid checksum.
void envelope(const uint8_t* data, size_t size) {
  (void)repo::unseal(plain_keys(), text(data, size), "fuzz");
  (void)repo::unseal(plain_keys(), plain_envelope(text(data, size)), "fuzz");
}

// A pack: the first byte says how many bytes of blob data precede the header, the rest is the
// header's inner form; the trailer is what a pack of that header would have.
void pack_header(const uint8_t* data, size_t size) {
  if (size == 0) return;
  std::string pack(data[0], 'b');
  const std::string header = plain_envelope(text(data + 1, size - 1));
  pack += header;
  const auto length = static_cast<uint32_t>(header.size());
  for (int i = 0; i < 4; ++i) pack.push_back(static_cast<char>(length >> (8 * i)));
  pack += "nbpack02";
  if (auto blobs = repo::read_pack_header(plain_keys(), pack, "fuzz")) {
    for (const auto& b : *blobs) {
      (void)repo::unseal(plain_keys(), std::string_view(pack).substr(b.offset, b.length), "fuzz");
    }
  }
  (void)repo::read_pack_header(plain_keys(), text(data, size), "fuzz");  // as found in storage
}

void index_file(const uint8_t* data, size_t size) {
  const std::string file = plain_envelope(text(data, size));
  repo::Index index;
  if (repo::decode_index_file(plain_keys(), file, "fuzz", index)) index.finalize();
  (void)repo::read_index_records(plain_keys(), file, "fuzz");
}

// The key file's form only: deriving a key from what it names is Argon2id, seconds by design.
void key_file(const uint8_t* data, size_t size) {
  (void)repo::parse_key_file(text(data, size), "fuzz");
}

// What nodebackupctl makes of a status reply (the daemon's socket is a peer like any other).
void status_report(const uint8_t* data, size_t size) {
  const auto j = nlohmann::json::parse(text(data, size), nullptr, /*allow_exceptions=*/false);
  (void)status::report_from_json(j);
  (void)status::run_from_json(j);  // as a "finished" event
}

void control_request(const uint8_t* data, size_t size) {
  (void)parse_control_request(text(data, size));
}

}  // namespace

const Target kTargets[] = {
    {"find_records", find_records},
    {"tar_stream", tar_stream},
    {"sftp_packets", sftp_packets},
    {"config", config},
    {"hash_store", hash_store},
    {"snapshot_record", snapshot_record},
    {"tree_listing", tree_listing},
    {"control_request", control_request},
    {"status_report", status_report},
    {"envelope", envelope},
    {"pack_header", pack_header},
    {"index_file", index_file},
    {"key_file", key_file},
    {"s3_xml", s3_xml},
    {"copy_state", copy_state},
    {"restore_output", restore_output},
    {nullptr, nullptr},
};

}  // namespace nb::fuzz
