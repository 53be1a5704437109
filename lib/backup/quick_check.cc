#include "backup/quick_check.h"

namespace nb::backup {

bool quick_check_passes(const store::Entry* prior, const fs::FileMeta& meta,
                        const fs::Capabilities& caps) {
  if (prior == nullptr || !prior->trusted || prior->racy) return false;
  if (prior->size != meta.size || prior->mtime_ns != meta.mtime_ns) return false;
  // mtime alone misses changes (a restored mtime, a same-size rewrite in one tick): compare
  // every field this filesystem gives. A field we have no record of is a mismatch.
  if (caps.ctime && prior->ctime_ns != meta.ctime_ns) return false;
  if (caps.inode && prior->inode != meta.inode) return false;
  return true;
}

const char* to_string(ReadReason reason) {
  switch (reason) {
    case ReadReason::none:
      return "unchanged";
    case ReadReason::new_file:
      return "new";
    case ReadReason::untrusted:
      return "untrusted";
    case ReadReason::racy:
      return "racy";
    case ReadReason::metadata:
      return "metadata";
    case ReadReason::missing_object:
      return "missing_object";
  }
  return "?";
}

ReadReason read_reason(const store::Entry* prior, const fs::FileMeta& meta,
                       const fs::Capabilities& caps, bool has_object) {
  if (prior == nullptr) return ReadReason::new_file;
  if (!prior->trusted) return ReadReason::untrusted;
  if (prior->racy) return ReadReason::racy;
  if (!quick_check_passes(prior, meta, caps)) return ReadReason::metadata;
  return has_object ? ReadReason::none : ReadReason::missing_object;
}

store::Entry entry_for_read(const Hash& hash, const fs::FileMeta& meta,
                            const fs::Capabilities& caps, int64_t read_time_ns) {
  store::Entry e;
  e.hash = hash;
  e.size = meta.size;
  e.mtime_ns = meta.mtime_ns;
  if (caps.ctime) e.ctime_ns = meta.ctime_ns;
  if (caps.inode) e.inode = meta.inode;
  e.racy = meta.mtime_ns + caps.mtime_resolution_ns + kRacyMarginNs > read_time_ns;
  return e;
}

}  // namespace nb::backup
