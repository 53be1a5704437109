#!/usr/bin/env bash
# Installs the dependencies, builds, and runs every test: the ctest suite, then (plain build
# only) the Debian package installed and run under a real systemd in systemd-nspawn.
#   scripts/test.sh                          the normal build (build/)
#   scripts/test.sh --sanitize address,undefined   the same tests under sanitizers
#   scripts/test.sh --sanitize thread              ... and under ThreadSanitizer
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
# The unprivileged user the remote-node tests log in as over the test sshd on 127.0.0.1. Its
# password field is "*" (no password, not locked: sshd without PAM refuses locked accounts).
if ! id nbtest >/dev/null 2>&1; then useradd --system --create-home --shell /bin/sh nbtest; fi
usermod -p '*' nbtest
# The heavy-shell test node: bash, with start-up files that print (tests/support/sshd_fixture).
if ! id nbheavy >/dev/null 2>&1; then useradd --system --create-home --shell /bin/bash nbheavy; fi
usermod -p '*' nbheavy
dir=$(scripts/build.sh "$@" | tail -n 1)
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
ctest --test-dir "$dir" --output-on-failure -j2
if [[ -z ${1:-} ]]; then tests/package/nspawn_test.sh; fi
