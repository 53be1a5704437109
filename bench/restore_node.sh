#!/usr/bin/env bash
# `restore --to-node` against what an operator would otherwise do to put a node back: restore on
# the backup server, then `rsync -aHAX` the result over ssh; and, as the floor, rsync of the
# original tree straight to the node (no repository at all). Same tree, same sshd (root login on
# 127.0.0.1:22022, scripts/demo-sshd.sh), each into a fresh directory on the "node" (this
# machine), ROUNDS rounds, the contenders taking turns; medians. Then each again over the tree it
# wrote (nothing changed: rsync skips, restore rewrites).
#   bash bench/restore_node.sh [--files N] [--total-mb M] [--rounds R] [--work DIR]
# Needs root, build/nodebackupd and build/nodebackupctl, rsync.
set -euo pipefail
cd "$(dirname "$0")/.."
files=20000 total_mb=200 rounds=3 work=/var/tmp/nodebackup-restore-bench
while (($#)); do
  case $1 in
    --files) files=$2; shift 2 ;;
    --total-mb) total_mb=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    *) echo "usage: $0 [--files N] [--total-mb M] [--rounds R] [--work DIR]" >&2; exit 2 ;;
  esac
done
root=$(pwd)
rm -rf "$work" && mkdir -p "$work"
ssh_dir=$work/ssh
scripts/demo-sshd.sh "$ssh_dir" root >/dev/null
trap 'kill "$(cat "$ssh_dir/sshd.pid")" 2>/dev/null || true' EXIT
python3 bench/gen_tree.py "$work/tree" --files "$files" --total-mb "$total_mb" --seed 1 >/dev/null
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
json.dump({"repository": work + "/repo", "state_dir": work + "/state",
           "control_socket": work + "/control.sock",
           "nodes": [{"id": "01_node", "type": "ssh", "host": "127.0.0.1", "port": 22022,
                      "user": "root", "identity_file": work + "/ssh/id_ed25519",
                      "known_hosts": work + "/ssh/known_hosts", "host_key_policy": "accept-new",
                      "transport": "exec", "paths": [work + "/tree"]}]},
          open(work + "/config.json", "w"), indent=2)
PY
"$root/build/nodebackupctl" -c "$work/config.json" init >/dev/null
"$root/build/nodebackupd" -c "$work/config.json" --run-once >"$work/backup.log" 2>&1
ssh_cmd="ssh -p 22022 -i $ssh_dir/id_ed25519 -o UserKnownHostsFile=$ssh_dir/known_hosts -o StrictHostKeyChecking=accept-new -o BatchMode=yes"

timed() {
  local start end
  sync
  start=$(date +%s.%N)
  "$@" >>"$work/runs.log" 2>&1 || { tail -20 "$work/runs.log" >&2; exit 1; }
  end=$(date +%s.%N)
  python3 -c "print(f'{$end - $start:.2f}')"
}
# Each writes the tree to $work/dest-<tool>-<round> on the node.
nb() {
  "$root/build/nodebackupctl" -c "$work/config.json" restore 01_node latest --to-node \
    --target "$work/dest-nb-$r"
}
via_server() {
  "$root/build/nodebackupctl" -c "$work/config.json" restore 01_node latest \
    --target "$work/staging-$r" &&
    rsync -aHAX --numeric-ids -e "$ssh_cmd" "$work/staging-$r/" "root@127.0.0.1:$work/dest-via-$r/"
}
floor() {
  rsync -aHAX --numeric-ids -e "$ssh_cmd" "$work/tree/" "root@127.0.0.1:$work/dest-floor-$r/"
}

declare -A t
for ((r = 1; r <= rounds; r++)); do
  case $((r % 3)) in 1) order="nb via_server floor" ;; 2) order="via_server floor nb" ;; 0) order="floor nb via_server" ;; esac
  for tool in $order; do t[${tool}_fresh]+="$(timed $tool) "; done
  for tool in $order; do t[${tool}_again]+="$(timed $tool) "; done
  rm -rf "$work"/dest-*-"$r" "$work/staging-$r"
done
median() { python3 -c "import statistics, sys; print(f'{statistics.median(map(float, sys.argv[1:])):.2f}')" $1; }
row() {
  echo "| $1 | $(median "${t[nb_$2]}") | $(median "${t[via_server_$2]}") | $(median "${t[floor_$2]}") | ${t[nb_$2]}/ ${t[via_server_$2]}/ ${t[floor_$2]}|"
}
echo "| $files files, $total_mb MiB, exec node on 127.0.0.1 (root), median of $rounds | restore --to-node (s) | restore here + rsync -aHAX (s) | rsync of the original tree (s) | every run |"
echo "|---|---|---|---|---|"
row "into an empty directory" fresh
row "again over it (nothing changed)" again
