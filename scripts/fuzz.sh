#!/usr/bin/env bash
# Fuzzes every parser of bytes nodebackup does not control with libFuzzer (clang 16, with
# AddressSanitizer and UBSan), for a bounded time each, and fails if any input crashes one. A
# crashing input is copied to tests/fuzz/crashes/TARGET/, where the ordinary test build replays
# it from then on (commit it with the fix). The corpus grown by a run stays in build-fuzz/.
#   scripts/fuzz.sh [--seconds N] [TARGET...]     default: 30 s for each of every target
# Prints one line per target: executions, corpus size, crashes.
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
           control_request status_report envelope pack_header index_file key_file s3_xml
           copy_state restore_output)
fi

scripts/install-deps.sh --fuzz
dir=build-fuzz
# Why clang 16 and libFuzzer, not AFL++: Debian 12's afl-g++-fast refuses to load ("GCC and
# plugin have incompatible versions"), plain afl-g++ has no persistent mode (~250 executions a
# second here), and afl-clang-fast is built for clang 14, which cannot compile libstdc++ 12's
# std::expected. Clang 16 compiles it, but still reports the older C++20 concepts level that
# libstdc++ checks before offering <expected>, so the build states the level itself.
# _GLIBCXX_ASSERTIONS: an out-of-range index into a standard container aborts.
# Line tables are all a report's stack trace needs, and compile faster than full -g.
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -gline-tables-only"
flags+=" -D_GLIBCXX_ASSERTIONS -U__cpp_concepts -D__cpp_concepts=202002L"
cmake -S . -B "$dir" -DCMAKE_CXX_COMPILER=clang++-16 -DNB_FUZZ=ON -DBUILD_TESTING=OFF \
  -DNB_PCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS=$flags" \
  "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined" >/dev/null
cmake --build "$dir" -j"$(nproc)" --target nodebackup_fuzz >"$dir/build.log" 2>&1 ||
  { tail -n 30 "$dir/build.log"; exit 1; }
driver=$PWD/$dir/tests/fuzz/nodebackup_fuzz

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
total_crashes=0
printf '%-16s %12s %8s %8s\n' target execs corpus crashes
for t in "${targets[@]}"; do
  work=$dir/work/$t
  mkdir -p "$work/corpus" "$work/artifacts"
  rm -f "$work/artifacts"/*
  # -rss_limit_mb: a parser that lets hostile input grow memory without bound is a crash too.
  NB_FUZZ_TARGET=$t "$driver" -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=1024 \
    -max_len=65536 -artifact_prefix="$work/artifacts/" "$work/corpus" "tests/fuzz/corpus/$t" \
    >"$work/log" 2>&1 || true
  execs=$(awk '/stat::number_of_executed_units/{n=$2} END{print n}' "$work/log")
  corpus=$(find "$work/corpus" -type f | wc -l)
  crashes=0
  for c in "$work/artifacts"/*; do
    [[ -e $c ]] || continue
    mkdir -p "tests/fuzz/crashes/$t"
    cp "$c" "tests/fuzz/crashes/$t/$(sha1sum "$c" | cut -c1-16)"
    crashes=$((crashes + 1))
  done
  if [[ -z $execs ]]; then
    echo "$t: the fuzzer did not finish:" >&2
    tail -n 30 "$work/log" >&2
    exit 1
  fi
  total_crashes=$((total_crashes + crashes))
  printf '%-16s %12s %8s %8s\n' "$t" "$execs" "$corpus" "$crashes"
done
if ((total_crashes > 0)); then
  echo "$total_crashes crashing inputs, saved under tests/fuzz/crashes/ (logs in $dir/work/)" >&2
  exit 1
fi
