#!/usr/bin/env bash
# Fuzzes every parser of bytes nodebackup does not control with AFL++, for a bounded time each,
# and fails if any input crashes one. A crashing input is copied to tests/fuzz/crashes/TARGET/,
# where the ordinary test build replays it from then on (commit it with the fix).
#   scripts/fuzz.sh [--seconds N] [TARGET...]     default: 30 s for each of every target
# Prints one line per target: executions, paths found, crashes.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=30
targets=()
while (($#)); do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if ((${#targets[@]} == 0)); then
  targets=(find_records tar_stream sftp_packets config hash_store snapshot_record tree_listing
           control_request)
fi

scripts/install-deps.sh --fuzz
dir=build-fuzz
# _GLIBCXX_ASSERTIONS: an out-of-range index into a standard container aborts (a crash AFL++
# sees) instead of reading past it silently. No precompiled headers: the GCC plugin and PCH
# do not mix.
cmake -S . -B "$dir" -DCMAKE_CXX_COMPILER=afl-g++-fast -DNB_FUZZ=ON -DBUILD_TESTING=OFF \
  -DNB_PCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS=-D_GLIBCXX_ASSERTIONS \
  >/dev/null
AFL_QUIET=1 cmake --build "$dir" -j"$(nproc)" --target nodebackup_fuzz >/dev/null
driver=$dir/tests/fuzz/nodebackup_fuzz

export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_QUIET=1
total_crashes=0
printf '%-16s %12s %8s %8s\n' target execs paths crashes
for t in "${targets[@]}"; do
  out=$dir/out/$t
  rm -rf "$out"
  afl-fuzz -V "$seconds" -i "tests/fuzz/corpus/$t" -o "$out" -- "$driver" "$t" \
    >"$dir/$t.log" 2>&1 || { echo "afl-fuzz failed on $t:"; tail -n 20 "$dir/$t.log"; exit 1; }
  stats=$out/default/fuzzer_stats
  execs=$(awk -F' *: *' '$1=="execs_done"{print $2}' "$stats")
  paths=$(awk -F' *: *' '$1=="corpus_count"{print $2}' "$stats")
  crashes=0
  for c in "$out"/default/crashes/id:*; do
    [[ -e $c ]] || continue
    mkdir -p "tests/fuzz/crashes/$t"
    cp "$c" "tests/fuzz/crashes/$t/$(sha1sum "$c" | cut -c1-16)"
    crashes=$((crashes + 1))
  done
  total_crashes=$((total_crashes + crashes))
  printf '%-16s %12s %8s %8s\n' "$t" "$execs" "$paths" "$crashes"
done
if ((total_crashes > 0)); then
  echo "$total_crashes crashing inputs, saved under tests/fuzz/crashes/" >&2
  exit 1
fi
