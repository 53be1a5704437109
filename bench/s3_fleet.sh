#!/usr/bin/env bash
# The fleet on one S3 repository: one daemon backing up 4 nodes against two daemons with 2 nodes
# each running at the same time (each its own state_dir), on the same RGW (scripts/rgw.sh) and
# the same 4 generated trees. Prints the wall time of the whole fleet's initial backup and of a
# no-change re-run, for both set-ups and for one daemon allowed as many jobs at once as the two
# have together (fresh buckets each), in ROUNDS rounds (the set-ups taking turns going first):
# the medians, and every run.
#   bash bench/s3_fleet.sh [--files N-per-node] [--total-mb M-per-node] [--rounds R] [--work DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
files=25000 total_mb=100 rounds=3 work=/var/tmp/nodebackup-s3-fleet
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
rgw=$work/rgw
trap 'scripts/rgw.sh stop "$rgw" >/dev/null 2>&1 || true' EXIT
scripts/rgw.sh start "$rgw" >/dev/null
# shellcheck disable=SC1090,SC1091
. "$rgw/env"
for n in 1 2 3 4; do
  python3 bench/gen_tree.py "$work/tree$n" --files "$files" --total-mb "$total_mb" --seed "$n" >/dev/null
done
printf 'AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n' "$NB_RGW_ACCESS_KEY" "$NB_RGW_SECRET_KEY" \
  >"$work/credentials"
chmod 600 "$work/credentials"

# config NAME BUCKET JOBS NODE… : a daemon's config backing up those nodes (tree<N> for node N),
# JOBS of them at once.
config() {
  local name=$1 bucket=$2
  shift 2
  python3 - "$work" "$name" "$bucket" "$NB_RGW_ENDPOINT" "$NB_RGW_REGION" "$@" <<'PY'
import json, sys
work, name, bucket, endpoint, region, jobs, *nodes = sys.argv[1:]
json.dump({"repository": f"s3://{bucket}/fleet", "state_dir": f"{work}/state-{name}",
           "control_socket": f"{work}/{name}.sock", "max_concurrent_jobs": int(jobs),
           "s3": {"endpoint": endpoint, "region": region, "credentials_file": work + "/credentials"},
           "nodes": [{"id": f"0{n}_node", "type": "local", "paths": [f"{work}/tree{n}"]} for n in nodes]},
          open(f"{work}/{name}.json", "w"), indent=2)
PY
}
run() { "$root/build/nodebackupd" -c "$work/$1.json" --run-once >>"$work/$1.log" 2>&1; }
seconds() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$@"; }
one() { run "one$r"; }
one4() { run "onefour$r"; }
two() { run "a$r" & local pa=$!; run "b$r" & local pb=$!; wait $pa; wait $pb; }

declare -A t
for ((r = 1; r <= rounds; r++)); do
  config "one$r" "one-daemon$r" 2 1 2 3 4
  config "onefour$r" "one-daemon-four$r" 4 1 2 3 4
  config "a$r" "two-daemons$r" 2 1 2
  config "b$r" "two-daemons$r" 2 3 4
  # Untimed: the first write to a new bucket, seconds that belong to neither set-up.
  "$root/build/nodebackupctl" -c "$work/one$r.json" init >/dev/null
  "$root/build/nodebackupctl" -c "$work/onefour$r.json" init >/dev/null
  "$root/build/nodebackupctl" -c "$work/a$r.json" init >/dev/null
  case $((r % 3)) in 1) order="one one4 two" ;; 2) order="one4 two one" ;; 0) order="two one one4" ;; esac
  for pass in initial same; do
    for setup in $order; do
      s=$(date +%s.%N); $setup; t[${setup}_$pass]+="$(seconds "$s" "$(date +%s.%N)") "
    done
  done
done
median() { python3 -c "import statistics, sys; print(f'{statistics.median(map(float, sys.argv[1:])):.2f}')" $1; }
row() {
  local a a4 b
  a=$(median "${t[one_$2]}") a4=$(median "${t[one4_$2]}") b=$(median "${t[two_$2]}")
  echo "| $1 | $a | $a4 | $b | $(python3 -c "print(f'{$a / $b:.2f}×')") | ${t[one_$2]}/ ${t[one4_$2]}/ ${t[two_$2]}|"
}
echo "| 4 nodes × $files files, $total_mb MiB each, median of $rounds | 1 daemon, 4 nodes, 2 jobs at once (s) | 1 daemon, 4 nodes, 4 jobs at once (s) | 2 daemons, 2 nodes and 2 jobs each (s) | 1 daemon (2 jobs) / 2 daemons | every run (1×2 / 1×4 / 2×2) |"
echo "|---|---|---|---|---|---|"
row "initial backup of the fleet" initial
row "no-change re-run" same
