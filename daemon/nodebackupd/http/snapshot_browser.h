// The snapshot browser: a directory of a snapshot as a page or as JSON, and the download of
// one file. Paths arrive already split into decoded components (html.h's decode_path refuses
// "..", encoded slashes and the like) and are resolved only through the snapshot's own
// listings, so nothing outside the snapshot can be named, let alone read. Blocking: it reads
// listings and blobs, and runs off the event loop.
#pragma once

#include <string>
#include <vector>

#include "repo/repository.h"

namespace nb::daemon::http {

// A download is read whole into memory before it is sent: larger files are refused
// (`nodebackupctl restore` is the tool for them), and at most kMaxBrowsing browser requests
// are read or sent at once, so the browser holds at most 4 × 64 MiB whatever its clients do.
inline constexpr uint64_t kMaxDownloadBytes = 64ull << 20;
inline constexpr int kMaxBrowsing = 4;

struct BrowseReply {
  unsigned status = 200;
  std::string content_type;
  std::string body;
  std::string filename;  // set for a download
};

// `components` empty: the snapshot's roots. `api`: JSON instead of HTML.
BrowseReply browse_snapshot(repo::Repository& repo, const repo::SnapshotRecord& record,
                            const std::vector<std::string>& components, bool api);

}  // namespace nb::daemon::http
