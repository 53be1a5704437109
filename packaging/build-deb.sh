#!/usr/bin/env bash
# Builds the Debian package of nodebackup with CPack and prints the path of the .deb.
#   packaging/build-deb.sh [OUTDIR]      default OUTDIR: build-deb/deb (ignored by git)
# Compiles only the two programs (no tests) in build-deb/, with Debian's hardening build flags
# (dpkg-buildflags), and strips them; `Depends` comes from dpkg-shlibdeps. Re-running rebuilds
# only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-$PWD/build-deb/deb}
dir=build-deb

# The flags Debian builds its own packages with: fortify, stack protector, PIE, relro/now.
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
eval "$(dpkg-buildflags --export=sh)"
# Without -g: CPack strips the programs (CPACK_STRIP_FILES; there is no -dbgsym package), so
# generating debug information would only slow the build.
CXXFLAGS=" $CXXFLAGS "
export CXXFLAGS="${CXXFLAGS// -g / } $CPPFLAGS"

# A packager's plain Release build (-O3 after Debian's -O2) with no install prefix given: CI
# checks this tree's package as a packager's `cpack -G DEB` (tests/package/cpack_default_test.sh),
# so one build serves both.
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
  -DCPACK_PACKAGE_DIRECTORY="$out" >/dev/null
cmake --build "$dir" -j2 --target nodebackupd nodebackupctl >&2
mkdir -p "$out"
(cd "$dir" && cpack -G DEB >&2)
ls -t "$out"/nodebackup_*.deb | head -n 1
