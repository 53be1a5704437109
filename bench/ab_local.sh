#!/usr/bin/env bash
# bench/ab_local.sh TREE WORK [ROUNDS] [CHANGES] -- two nodebackupd builds and rsync interleaved
# on one tree: every round runs all three, in rotated order, `sync` before each timed command,
# so a load change on a shared machine hits all three alike (bench/local.sh runs one build per
# invocation, and two invocations back to back see different loads). Each tool has its own
# destination under WORK (wiped first). Prints "SCENARIO TOOL MILLISECONDS" lines, then the
# medians and × rsync.
#   A_NODEBACKUPD  the baseline build (e.g. 0.1.0's), B_NODEBACKUPD  the build under test
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
(($# >= 2)) || { echo "usage: A_NODEBACKUPD=… B_NODEBACKUPD=… $0 TREE WORK [ROUNDS] [CHANGES]" >&2; exit 2; }
TREE=$1 WORK=$2 ROUNDS=${3:-5} CHANGES=${4:-3}
: "${A_NODEBACKUPD:?}" "${B_NODEBACKUPD:?}"
[[ $WORK != "$TREE"* && $WORK != / ]] || { echo "refusing WORK=$WORK" >&2; exit 2; }
rm -rf -- "$WORK"
mkdir -p "$WORK/rsync/dest"
for v in a b; do
  mkdir -p "$WORK/$v"
  python3 - "$WORK/$v" "$TREE" <<'PY'
import json, sys
d, tree = sys.argv[1:3]
json.dump({"repository": d + "/repo", "state_dir": d + "/state", "control_socket": d + "/s.sock",
           "nodes": [{"id": "01_node", "type": "local", "paths": [tree]}]},
          open(d + "/config.json", "w"))
PY
done
run() {
  case $1 in
    rsync) rsync -a "$TREE/" "$WORK/rsync/dest/" ;;
    a) "$A_NODEBACKUPD" -c "$WORK/a/config.json" --run-once ;;
    b) "$B_NODEBACKUPD" -c "$WORK/b/config.json" --run-once ;;
  esac
}
timed() {
  sync
  local s e
  s=$(date +%s%N)
  run "$2" >>"$WORK/$2.log" 2>&1
  e=$(date +%s%N)
  echo "$1 $2 $(((e - s) / 1000000))" | tee -a "$WORK/times"
}
tools=(rsync a b)
for t in "${tools[@]}"; do timed initial "$t"; done
for ((r = 0; r < ROUNDS; r++)); do
  for ((k = 0; k < 3; k++)); do timed nochange "${tools[(r + k) % 3]}"; done
done
for ((r = 1; r <= CHANGES; r++)); do
  python3 "$HERE/mutate.py" "$TREE" --mode change --pct 1 --seed 7 --stamp $((100 + r)) >/dev/null
  for ((k = 0; k < 3; k++)); do timed change "${tools[(r + k) % 3]}"; done
done
python3 - "$WORK/times" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    scenario, tool, ms = line.split()
    runs[(scenario, tool)].append(int(ms) / 1000)
for scenario in ("initial", "nochange", "change"):
    rsync = statistics.median(runs[(scenario, "rsync")])
    for tool in ("rsync", "a", "b"):
        v = runs[(scenario, tool)]
        m = statistics.median(v)
        print(f"{scenario:9} {tool:6} n={len(v)} median {m:.3f}s  min {min(v):.3f}  max {max(v):.3f}"
              f"  {m / rsync:.2f}x rsync")
PY
