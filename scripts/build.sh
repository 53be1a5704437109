#!/usr/bin/env bash
# Configures and builds into build/ (or build-<sanitizers>/ with --sanitize LIST).
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=""
if [[ "${1:-}" == "--sanitize" ]]; then sanitize="$2"; fi
dir=build${sanitize:+-${sanitize//,/-}}

flags=()
# Sanitizer builds only run the tests: -O1 with line tables is what the sanitizers' reports
# need, and it compiles in well under half the time of -O2 with full debug information.
if [[ -n $sanitize ]]; then flags=("-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG"); fi
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNB_SANITIZE="$sanitize" "${flags[@]}" >/dev/null
cmake --build "$dir" -j"$(nproc)"
echo "$dir"
