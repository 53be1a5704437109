#include "fs/ssh/extract_on_node.h"

#include "fs/ssh/remote_command.h"
#include "fs/ssh/run_on_node.h"

namespace nb::fs::ssh {

namespace {

// $1 the target, $2 the proof member's name. POSIX sh with GNU tar and coreutils. Names are
// taken from globs, never from split output, so any byte a name may hold is safe; a subshell
// per directory keeps the directory it entered as its working directory (what openat() keeps
// in C) and its variables to itself.
constexpr const char* kScript = R"SH(
set -u
umask 077
target=$1 done=$2 status=0 root=$(id -u)
say() { printf 'nodebackup restore: %s\n' "$*" >&2; }
mkdir -p -- "$target" && cd -P -- "$target" || exit 3
top=$(pwd -P && echo x) && top=${top%?x} || exit 3
stage=$(mktemp -d .nbrestore.XXXXXXXX) || exit 3
stage=${top%/}/$stage
trap 'rm -rf -- "$stage"' EXIT
trap 'exit 5' HUP INT TERM
# GNU tar takes a name that is not UTF-8 as the bytes it is; it only warns about libarchive's
# "hdrcharset=BINARY" that says so.
tar -x -p -f - -C "$stage" --xattrs --xattrs-include='*' --numeric-owner \
  --warning=no-unknown-keyword || status=1
exec </dev/null
if [ ! -f "$stage/$done" ] || [ -L "$stage/$done" ]; then
  say "the archive did not arrive whole; nothing on the node was changed"
  exit 4
fi
(cd -- "$stage" && xargs -0 -r rm -rf -- <"./$done") || status=1
rm -f -- "$stage/$done"

# $1: a staged directory; working directory: its counterpart in the target, already there.
meta() {
  # A directory the snapshot does not describe (above a restored root) keeps what it has.
  [ "$(stat -c %Y:%a -- "$1")" = 0:700 ] && return 0
  if [ "$root" = 0 ]; then chown -h --reference="$1" . || return 1; fi
  chmod --reference="$1" . || return 1
  if command -v getfattr >/dev/null 2>&1 && command -v setfattr >/dev/null 2>&1; then
    (cd -- "$1" && getfattr -h -d -m - -e hex -- .) 2>/dev/null | setfattr -h --restore=- ||
      return 1
  fi
  touch -h -r "$1" .
}

# $1: a staged directory; working directory: its counterpart in the target.
merge() {
  rc=0
  for s in "$1"/* "$1"/.[!.]* "$1"/..?*; do
    [ -e "$s" ] || [ -L "$s" ] || continue
    n=${s##*/}
    if [ -d "$s" ] && [ ! -L "$s" ] && [ -d "$n" ] && [ ! -L "$n" ]; then
      (
        dir=$s
        id=$(stat -c %d:%i -- "$n") && cd -P -- "$n" && [ "$(stat -c %d:%i .)" = "$id" ] || {
          say "${dir#"$stage"/}: replaced on the node while restoring; not written"
          exit 1
        }
        r=0
        merge "$dir" || r=1
        meta "$dir" || r=1
        exit $r
      ) || rc=1
      continue
    fi
    # Whatever is in the way goes: a directory where the snapshot has none, and anything
    # (a symlink above all) where it has a directory; rename(2) replaces the rest itself.
    if [ -d "$n" ] && [ ! -L "$n" ]; then
      rm -rf -- "$n" || rc=1
    elif [ -d "$s" ] && [ ! -L "$s" ] && { [ -e "$n" ] || [ -L "$n" ]; }; then
      rm -f -- "$n" || rc=1
    fi
    mv -f -T -- "$s" "$n" || rc=1
  done
  return $rc
}

merge "$stage" || status=1
exit $status
)SH";

}  // namespace

Result<CommandOutcome> extract_on_node(SshConnection& c, const ExtractRequest& request,
                                       const std::function<Result<>(const OutputSink&)>& produce) {
  const std::string command = "/bin/sh -c " + shell_quote(kScript) + " nodebackup-restore " +
                              shell_quote(request.target) + " " + shell_quote(request.done_name);
  return feed_on_node(c, command, produce);
}

}  // namespace nb::fs::ssh
