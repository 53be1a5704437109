#!/usr/bin/env bash
# bench/dashboard_render.sh WORK [SNAPSHOTS] [REQUESTS] -- how long the dashboard takes to answer
# for a node with a long history (issue 15: a node page with 1,000 snapshots in <= 200 ms).
# Makes SNAPSHOTS snapshots of a tiny local node cheaply (one `nodebackupd --run-once` each,
# a file changed every tenth run so the chart has something to draw; kept, as nothing prunes),
# then starts the daemon with the dashboard on 127.0.0.1 and times REQUESTS GETs of each page
# with curl after one warm-up request. Prints "PAGE BYTES MEDIAN_MS MAX_MS" lines.
#   NODEBACKUPD  the daemon to measure (default: build/nodebackupd)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
(($# >= 1)) || { echo "usage: $0 WORK [SNAPSHOTS] [REQUESTS]" >&2; exit 2; }
WORK=$1 SNAPSHOTS=${2:-1000} REQUESTS=${3:-20}
NODEBACKUPD=${NODEBACKUPD:-$HERE/../build/nodebackupd}
PORT=${PORT:-19811}
[[ $WORK != / ]] || { echo "refusing WORK=/" >&2; exit 2; }
mkdir -p "$WORK/src/sub"
write_config() {
  python3 - "$WORK" <<'PY'
import json, sys
d = sys.argv[1]
config = {"repository": d + "/repo", "state_dir": d + "/state", "control_socket": d + "/s.sock",
          "nodes": [{"id": "01_node", "type": "local", "paths": [d + "/src"], "interval": "1000h",
                     "retain": {"last": 100000}}]}
json.dump(config, open(d + "/config.json", "w"))
PY
}
for i in 1 2 3 4 5; do echo "file $i" >"$WORK/src/f$i"; done
echo a >"$WORK/src/sub/a"
write_config
have=$({ ls "$WORK/repo/snapshots/01_node" 2>/dev/null || true; } | wc -l)
for ((run = have; run < SNAPSHOTS; run++)); do
  ((run % 10 == 0)) && echo "run $run" >"$WORK/src/f$((run % 5 + 1))"
  "$NODEBACKUPD" -c "$WORK/config.json" --run-once --log-level warning
done
python3 - "$WORK" "$PORT" <<'PY'
import json, sys
d, port = sys.argv[1:3]
config = json.load(open(d + "/config.json"))
config["http"] = {"listen": "127.0.0.1:" + port}
json.dump(config, open(d + "/config.json", "w"))
PY
"$NODEBACKUPD" -c "$WORK/config.json" --log-level warning &
daemon=$!
trap 'kill $daemon; wait $daemon 2>/dev/null || true' EXIT
base=http://127.0.0.1:$PORT
for _ in $(seq 100); do
  curl -sf "$base/api/nodes/01_node/snapshots" >/dev/null && break
  sleep 0.1
done
echo "snapshots of 01_node: $(curl -sf "$base/api/nodes/01_node/snapshots" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
for page in /nodes/01_node / /api/nodes/01_node /metrics; do
  curl -sf -o /dev/null "$base$page"
  for ((i = 0; i < REQUESTS; i++)); do
    curl -sf -o /dev/null -w '%{size_download} %{time_total}\n' "$base$page"
  done | python3 -c '
import statistics, sys
rows = [l.split() for l in sys.stdin]
ms = [float(t) * 1000 for _, t in rows]
print(f"{sys.argv[1]} {rows[-1][0]} {statistics.median(ms):.1f} {max(ms):.1f}")' "$page"
done
