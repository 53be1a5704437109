#!/usr/bin/env bash
# Configures and builds into build/ (or build-<sanitizers>/ with --sanitize LIST, or
# build-release/ with --release: the programs only, at -O3, as a packager would build them).
# NB_WERROR=ON in the environment makes warnings errors (CI sets it).
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=""
release=""
case "${1:-}" in
  --sanitize) sanitize="$2" ;;
  --release) release=1 ;;
esac
dir=build${sanitize:+-${sanitize//,/-}}${release:+-release}

flags=("-DCMAKE_COMPILE_WARNING_AS_ERROR=${NB_WERROR:-OFF}")
# ccache keeps CI's three configurations and a developer's rebuilds from compiling the same
# file twice; precompiled headers need these sloppiness settings to be cached at all.
if command -v ccache >/dev/null; then
  flags+=("-DCMAKE_CXX_COMPILER_LAUNCHER=ccache")
  export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
fi
# Sanitizer builds only run the tests: -O1 with line tables is what the sanitizers' reports
# need, and it compiles in well under half the time of -O2 with full debug information.
if [[ -n $sanitize ]]; then flags+=("-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG"); fi
# The plain build: line tables (-g1) give backtraces and gdb's file:line, and compile about a
# fifth faster than full -g (the Asio-heavy daemon files: 17.1 s against 13.6 s each).
if [[ -z $sanitize && -z $release ]]; then flags+=("-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG"); fi
if [[ -n $release ]]; then
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF "${flags[@]}" >/dev/null
  cmake --build "$dir" -j"$(nproc)" --target nodebackupd nodebackupctl
else
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNB_SANITIZE="$sanitize" "${flags[@]}" \
    >/dev/null
  cmake --build "$dir" -j"$(nproc)"
fi
echo "$dir"
