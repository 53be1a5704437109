#!/usr/bin/env bash
# A packager's plain build: `cmake` with no install prefix, then `cpack -G DEB`. The package
# must put the programs where its unit starts them (/usr/sbin, /usr/bin), whatever prefix
# CMake would otherwise default to.
#   tests/package/cpack_default_test.sh BUILD_DIR     (a configured, built tree: build-deb/ after packaging/build-deb.sh)
set -euo pipefail
dir=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
(cd "$dir" && cpack -G DEB -B "$out" >/dev/null)
deb=$(ls "$out"/nodebackup_*.deb)
contents=$(dpkg-deb -c "$deb")
fail() { echo "cpack_default_test: $*" >&2; echo "$contents" >&2; exit 1; }
grep -q ' ./usr/sbin/nodebackupd$' <<<"$contents" || fail "no /usr/sbin/nodebackupd in $deb"
grep -q ' ./usr/bin/nodebackupctl$' <<<"$contents" || fail "no /usr/bin/nodebackupctl in $deb"
if grep -q '/usr/local' <<<"$contents"; then fail "files under /usr/local in $deb"; fi
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./lib/systemd/system/nodebackupd.service |
  grep -q '^ExecStart=/usr/sbin/nodebackupd ' || fail "the unit does not start /usr/sbin/nodebackupd"
echo "cpack_default_test: 1 passed, 0 failed"
