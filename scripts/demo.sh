#!/usr/bin/env bash
# The demo: installs, builds, and backs up a sample node with the bundled config/demo.json —
# twice (the second run reads and stores nothing), then after a change (only that file is
# read and stored), then restores and verifies.
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

say "a sample node in $node (10 files an hour old, one fresh swap file that is excluded)"
rm -rf "$demo"
mkdir -p "$node/etc/app/conf.d" "$node/srv/app/data/reports"
for i in 1 2 3 4 5; do
  printf 'setting_%s = %s\n' "$i" "$RANDOM" > "$node/etc/app/conf.d/$i.conf"
  head -c $((i * 40000)) /dev/urandom > "$node/srv/app/data/reports/report-$i.bin"
done
ln -s conf.d/1.conf "$node/etc/app/main.conf"
echo "swap" > "$node/etc/app/.main.conf.swp"
find "$node" -exec touch -h -d '1 hour ago' {} +

say "$nbd --check-config"
"$nbd" -c "$config" --check-config

say "run 1: everything is new"
"$nbd" -c "$config" --run-once
say "run 2: nothing changed, so nothing is read and nothing is stored"
"$nbd" -c "$config" --run-once

say "one file changes"
echo "setting_3 = changed" > "$node/etc/app/conf.d/3.conf"
touch -d '10 minutes ago' "$node/etc/app/conf.d/3.conf"
say "run 3: exactly that file is read and stored"
"$nbd" -c "$config" --run-once

say "nodebackupctl snapshots"
"$ctl" -c "$config" snapshots

say "restore the latest snapshot to $demo/restore, compare with the node"
"$ctl" -c "$config" restore 01_node latest --target "$demo/restore"
diff -r --no-dereference --exclude='*.swp' "$node" "$demo/restore$node" && echo "restored tree is identical"

say "restore the first snapshot's version of the changed file"
first=$("$ctl" -c "$config" snapshots 01_node --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
"$ctl" -c "$config" restore 01_node "$first" "$node/etc/app/conf.d/3.conf" --target "$demo/old"
echo "then: $(cat "$demo/old$node/etc/app/conf.d/3.conf")   now: $(cat "$node/etc/app/conf.d/3.conf")"

say "nodebackupctl verify"
"$ctl" -c "$config" verify

bytes_second=$("$ctl" -c "$config" snapshots 01_node --json | python3 -c 'import json,sys; r=json.load(sys.stdin)[1]; print(r["bytes_read"], r["bytes_stored"])')
say "second run read/stored (bytes): $bytes_second"
[[ "$bytes_second" == "0 0" ]]
