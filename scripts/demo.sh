#!/usr/bin/env bash
# The demo: installs, builds, and backs up the fleet of the original incident with the bundled
# config/demo.json — 01_node local, 02_node…04_node over SSH (a loopback sshd the demo starts
# with throw-away keys) — twice (the second run reads and stores nothing on every node), then
# after a change on a remote node (only that file is read and stored), then restores and
# verifies; last, runs the daemon and asks it for status, a run and a diff.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
dir=$(scripts/build.sh | tail -n 1)
nbd="$PWD/$dir/nodebackupd"
ctl="$PWD/$dir/nodebackupctl"
config="$PWD/config/demo.json"
demo=/var/tmp/nodebackup-demo
node=$demo/nodes/01_node

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [[ -f $demo/ssh/sshd.pid ]]; then kill "$(cat "$demo/ssh/sshd.pid")" 2>/dev/null || true; fi
rm -rf "$demo"
mkdir -p "$demo" && chmod 755 "$demo"

say "four sample nodes under $demo/nodes (10 files each, an hour old; a swap file that is excluded)"
for n in 01_node 02_node 03_node 04_node; do
  root=$demo/nodes/$n
  mkdir -p "$root/etc/app/conf.d" "$root/srv/app/data/reports"
  for i in 1 2 3 4 5; do
    printf 'setting_%s = %s\n' "$i" "$RANDOM" > "$root/etc/app/conf.d/$i.conf"
    head -c $((i * 40000)) /dev/urandom > "$root/srv/app/data/reports/report-$i.bin"
  done
  ln -s conf.d/1.conf "$root/etc/app/main.conf"
  echo "swap" > "$root/etc/app/.main.conf.swp"
  find "$root" -exec touch -h -d '1 hour ago' {} +
done
chmod -R a+rX "$demo/nodes"
node2=$demo/nodes/02_node

say "the remote nodes: an sshd on 127.0.0.1:22022 with throw-away keys (user nbdemo)"
sshd_pid=$(scripts/demo-sshd.sh "$demo/ssh")
trap 'kill $sshd_pid 2>/dev/null || true' EXIT
echo "sshd pid $sshd_pid"

say "$nbd --check-config"
"$nbd" -c "$config" --check-config

say "run 1: everything is new (accept-new records the host key on first contact)"
"$nbd" -c "$config" --run-once
say "run 2: nothing changed, so no node reads or stores anything"
"$nbd" -c "$config" --run-once

say "one file changes on 02_node"
echo "setting_3 = changed" > "$node2/etc/app/conf.d/3.conf"
touch -d '10 minutes ago' "$node2/etc/app/conf.d/3.conf"
say "run 3: exactly that file is read and stored; every other node stays quiet"
"$nbd" -c "$config" --run-once

say "nodebackupctl snapshots"
"$ctl" -c "$config" snapshots

say "restore the latest snapshots of 01_node and 02_node to $demo/restore, compare"
"$ctl" -c "$config" restore 01_node latest --target "$demo/restore"
"$ctl" -c "$config" restore 02_node latest --target "$demo/restore"
diff -r --no-dereference --exclude='*.swp' "$node" "$demo/restore$node" && echo "01_node: identical"
diff -r --no-dereference --exclude='*.swp' "$node2/etc/app" "$demo/restore$node2/etc/app" && echo "02_node: identical"

say "restore the first snapshot's version of the changed file"
first=$("$ctl" -c "$config" snapshots 02_node --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
"$ctl" -c "$config" restore 02_node "$first" "$node2/etc/app/conf.d/3.conf" --target "$demo/old"
echo "then: $(cat "$demo/old$node2/etc/app/conf.d/3.conf")   now: $(cat "$node2/etc/app/conf.d/3.conf")"

say "nodebackupctl verify"
"$ctl" -c "$config" verify

say "second run, per node: bytes read / bytes stored"
for n in 01_node 02_node 03_node 04_node; do
  second=$("$ctl" -c "$config" snapshots $n --json | python3 -c 'import json,sys; r=json.load(sys.stdin)[1]; print(r["bytes_read"], r["bytes_stored"])')
  echo "$n: $second"
  [[ "$second" == "0 0" ]]
done

say "the daemon: nodebackupd in the foreground (as systemd runs it), asked with nodebackupctl"
"$nbd" -c "$config" 2> "$demo/daemon.log" &
daemon_pid=$!
trap 'kill $daemon_pid $sshd_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do "$ctl" -c "$config" status >/dev/null 2>&1 && break; sleep 0.1; done
"$ctl" -c "$config" status
say "nodebackupctl run 02_node --wait: nothing changed, nothing read"
"$ctl" -c "$config" run 02_node --wait
say "nodebackupctl diff 01_node, after a touch: what the next run would read, and why"
touch "$node/etc/app/conf.d/2.conf"
"$ctl" -c "$config" diff 01_node
kill -TERM $daemon_pid
wait $daemon_pid
say "the daemon's log"
cat "$demo/daemon.log"
