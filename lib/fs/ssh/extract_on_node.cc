#include "fs/ssh/extract_on_node.h"

#include "fs/ssh/remote_command.h"
#include "fs/ssh/run_on_node.h"

namespace nb::fs::ssh {

namespace {

// $1 the target, $2 the control members' prefix. POSIX sh with GNU tar, find and coreutils.
// Names are taken from globs, never from split output, so any byte a name may hold is safe; a
// subshell per directory keeps the directory it entered as its working directory (what
// openat() keeps in C) and its variables to itself. It says "start" first (what a login
// shell's start-up files print comes before) and "end STATUS" last.
constexpr const char* kScript = R"SH(
set -u
unset CDPATH
umask 077
target=$1 done=$2 status=0 uid=$(id -u) depth=0
say() { printf 'nodebackup restore: %s\n' "$*" >&2; }
say start
mkdir -p -- "$target" && cd -P -- "$target" || exit 3

# The stage: a fresh directory of ours, entered, checked, held open as fd 9 and from then on
# reached only as /proc/self/fd/9: renaming it or planting a symlink at its name changes
# nothing, and nobody else can enter it (0700).
name=$(mktemp -d ./.nbrestore.XXXXXXXX) || exit 3
exec 8<.
if ! cd -P -- "$name" || [ "$(stat -c %u:%a .)" != "$uid:700" ] || [ -n "$(ls -A .)" ]; then
  say "the staging directory $name was replaced; nothing on the node was changed"
  exit 3
fi
exec 9<.
cd -P /proc/self/fd/8 || exit 3
exec 8<&-
S=/proc/self/fd/9
sdev=$(stat -c %d -- "$S/")
wipe() { rm -rf -- "$1"/* "$1"/.[!.]* "$1"/..?* 2>/dev/null; }
trap 'wipe "$S"; rmdir -- "$name" 2>/dev/null' EXIT
trap 'exit 5' HUP INT TERM

# GNU tar takes a name that is not UTF-8 as the bytes it is; it only warns about libarchive's
# "hdrcharset=BINARY" that says so. Errors that leave an entry without an attribute it could
# not set (an owner, a capability, a device node as another user) are reported, not fatal.
tar -x -p -f - -C "$S/" --xattrs --xattrs-include='*' --numeric-owner \
  --warning=no-unknown-keyword || status=1
exec </dev/null
# The proof is the archive's last member: all of it arrived.
if [ "$(cat -- "$S/$done" 2>/dev/null)" != complete ]; then
  if [ "$status" = 0 ]; then
    say "the archive did not arrive whole; nothing on the node was changed"
  else
    say "the archive did not arrive whole or could not all be stored (see above); nothing" \
      "on the node was changed"
  fi
  exit 4
fi
(cd -P -- "$S/" && xargs -0 -r rm -rf -- <"./$done.discard") || status=1
# Every regular file is there at its size, or nothing is put in place (a full disk).
if ! (cd -P -- "$S/" && find . -path "./$done*" -prune -o -type f -printf '%s %P\0' |
  LC_ALL=C sort -z | cmp -s - "./$done.files"); then
  say "the node could not store all it was sent (see above); nothing on the node was changed"
  exit 4
fi

failed() { : >"$S/$done.failed"; }

# $1: the "uid:gid mode mtime" of a staged directory, taken before its entries moved out;
# $2: that directory; working directory: its counterpart, already in the target.
meta() {
  set -- $1 "$2"
  # A directory the snapshot does not describe (above a restored root) keeps what it has.
  [ "$2 $3" = "700 0.000000000" ] && return 0
  if [ "$uid" = 0 ]; then chown -h "$1" . || return 1; fi
  chmod "$2" . || return 1
  if command -v getfattr >/dev/null 2>&1 && command -v setfattr >/dev/null 2>&1; then
    (cd -P -- "$4" && getfattr -h -d -m - -e hex -- .) 2>/dev/null | setfattr -h --restore=- ||
      return 1
  fi
  touch -h -d "@$3" .
}

# $1: a staged directory; $2: the name of its counterpart, a directory in the working directory.
# Entered only by a name relative to a directory already entered, and only if the directory
# arrived in is the one looked at.
descend() (
  dir=$1
  was=$(stat -c '%u:%g %a %.9Y' -- "$dir") || exit 1
  id=$(stat -c %d:%i -- "./$2") && cd -P -- "./$2" && [ "$(stat -c %d:%i .)" = "$id" ] || {
    say "${dir#"$S"/}: replaced on the node while restoring; not written"
    exit 1
  }
  r=0
  if [ "$(stat -c %d .)" = "$sdev" ]; then merge "$dir"; else restage "$dir" || r=1; fi
  meta "$was" "$dir" || r=1
  exit $r
)

# Another filesystem, which rename(2) cannot reach: the staged entries are copied (by tar) into
# a stage of their own here, held open as another descriptor, and merged from there.
restage() {
  if [ "$depth" -ge 4 ]; then
    say "${1#"$S"/}: filesystems nested too deep; not written"
    return 1
  fi
  fd=$((7 - depth)) depth=$((depth + 1))
  sub=$(mktemp -d ./.nbrestore.XXXXXXXX) || return 1
  exec 3<.
  if ! cd -P -- "$sub" || [ "$(stat -c %u:%a .)" != "$uid:700" ] || [ -n "$(ls -A .)" ]; then
    say "${1#"$S"/}: a staging directory was replaced; not written"
    return 1
  fi
  eval "exec $fd<."
  cd -P /proc/self/fd/3 && exec 3<&- || return 1
  T=/proc/self/fd/$fd
  (cd -P -- "$1" && find . -mindepth 1 -maxdepth 1 -printf '%P\0' |
    tar -c -f - --null -T - --format=posix --xattrs --xattrs-include='*' --sparse \
      --numeric-owner) |
    tar -x -p -f - -C "$T/" --xattrs --xattrs-include='*' --numeric-owner \
      --warning=no-unknown-keyword || failed
  sdev=$(stat -c %d -- "$T/")
  merge "$T"
  wipe "$T"
  rmdir -- "$sub" 2>/dev/null
  return 0
}

# $1: a staged directory; working directory: its counterpart in the target. What needs no
# descent is renamed in by one mv -t per directory: by name, so a symlink there is replaced,
# not followed (and a process per file would dominate a restore over an existing tree).
merge() {
  src=$1
  {
    for s in "$src"/* "$src"/.[!.]* "$src"/..?*; do
      [ -e "$s" ] || [ -L "$s" ] || continue
      n=${s##*/}
      case $n in "$done"*) continue ;; esac
      if [ -d "$s" ] && [ ! -L "$s" ] && [ -d "./$n" ] && [ ! -L "./$n" ]; then
        descend "$s" "$n" >/dev/null || failed
        continue
      fi
      # Whatever is in the way goes: a directory where the snapshot has none, and anything
      # (a symlink above all) where it has a directory; rename(2) replaces the rest itself.
      if [ -d "./$n" ] && [ ! -L "./$n" ]; then
        rm -rf -- "./$n" || failed
      elif [ -d "$s" ] && [ ! -L "$s" ] && { [ -e "./$n" ] || [ -L "./$n" ]; }; then
        rm -f -- "./$n" || failed
      fi
      printf '%s\0' "$s"
    done
  } | xargs -0 -r mv -f -t . -- || failed
}

merge "$S"
[ -e "$S/$done.failed" ] && status=1
say "end $status"
exit $status
)SH";

}  // namespace

Result<CommandOutcome> extract_on_node(SshConnection& c, const ExtractRequest& request,
                                       const std::function<Result<>(const OutputSink&)>& produce) {
  const std::string command = "/bin/sh -c " + shell_quote(kScript) + " nodebackup-restore " +
                              shell_quote(request.target) + " " + shell_quote(request.control);
  return feed_on_node(c, command, produce);
}

}  // namespace nb::fs::ssh
