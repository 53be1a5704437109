#!/usr/bin/env bash
# Configures and builds into build/ (or build-<sanitizers>/ with --sanitize LIST).
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=""
if [[ "${1:-}" == "--sanitize" ]]; then sanitize="$2"; fi
dir=build${sanitize:+-${sanitize//,/-}}

cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNB_SANITIZE="$sanitize" >/dev/null
cmake --build "$dir" -j"$(nproc)"
echo "$dir"
