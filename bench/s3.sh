#!/usr/bin/env bash
# nodebackup's S3 backend against restic's, on the same Ceph RGW (scripts/rgw.sh, started here
# and stopped at the end) and the same generated tree: initial backup, no-change re-run, and a
# re-run after P % of the files changed. Prints a markdown table of wall times (seconds).
#   bash bench/s3.sh [--files N] [--total-mb M] [--change-pct P] [--work DIR]
# Needs build/nodebackupd (scripts/build.sh) and restic (scripts/install-deps.sh --bench).
set -euo pipefail
cd "$(dirname "$0")/.."
files=100000 total_mb=400 pct=1 work=/var/tmp/nodebackup-s3-bench
while (($#)); do
  case $1 in
    --files) files=$2; shift 2 ;;
    --total-mb) total_mb=$2; shift 2 ;;
    --change-pct) pct=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    *) echo "usage: $0 [--files N] [--total-mb M] [--change-pct P] [--work DIR]" >&2; exit 2 ;;
  esac
done
root=$(pwd)
rm -rf "$work" && mkdir -p "$work"
rgw=$work/rgw
trap 'scripts/rgw.sh stop "$rgw" >/dev/null 2>&1 || true' EXIT
scripts/rgw.sh start "$rgw" >/dev/null
# shellcheck disable=SC1090,SC1091
. "$rgw/env"
python3 bench/gen_tree.py "$work/tree" --files "$files" --total-mb "$total_mb" --seed 1 >/dev/null

printf 'AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n' "$NB_RGW_ACCESS_KEY" "$NB_RGW_SECRET_KEY" \
  >"$work/credentials"
chmod 600 "$work/credentials"
python3 - "$work" "$NB_RGW_ENDPOINT" "$NB_RGW_REGION" <<'PY'
import json, sys
work, endpoint, region = sys.argv[1:4]
json.dump({"repository": "s3://nb-bench/repo", "state_dir": work + "/state",
           "control_socket": work + "/control.sock",
           "s3": {"endpoint": endpoint, "region": region, "credentials_file": work + "/credentials"},
           "nodes": [{"id": "01_node", "type": "local", "paths": [work + "/tree"]}]},
          open(work + "/config.json", "w"), indent=2)
PY

# Untimed, as restic's init: the first write to a new cluster makes RGW create its data pools.
build/nodebackupctl -c "$work/config.json" init >/dev/null
export AWS_ACCESS_KEY_ID=$NB_RGW_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$NB_RGW_SECRET_KEY
export RESTIC_PASSWORD=bench RESTIC_REPOSITORY="s3:$NB_RGW_ENDPOINT/restic-bench"
restic init >/dev/null

# Runs the command and prints its wall time in seconds.
timed() {
  local start end
  start=$(date +%s.%N)
  "$@" >"$work/last.log" 2>&1 || { cat "$work/last.log" >&2; exit 1; }
  cat "$work/last.log" >>"$work/runs.log"
  end=$(date +%s.%N)
  python3 -c "print(f'{$end - $start:.2f}')"
}
nb() { "$root/build/nodebackupd" -c "$work/config.json" --run-once; }
rs() { restic backup --quiet "$work/tree"; }

declare -A t
t[nb_initial]=$(timed nb)
t[rs_initial]=$(timed rs)
t[nb_same]=$(timed nb)
t[rs_same]=$(timed rs)
python3 bench/mutate.py "$work/tree" --mode change --pct "$pct" --seed 2 --stamp 1 >/dev/null
t[nb_changed]=$(timed nb)
t[rs_changed]=$(timed rs)

echo "| $files files, $total_mb MiB, RGW on 127.0.0.1 | nodebackup (s) | restic (s) |"
echo "|---|---|---|"
echo "| initial backup | ${t[nb_initial]} | ${t[rs_initial]} |"
echo "| no-change re-run | ${t[nb_same]} | ${t[rs_same]} |"
echo "| $pct % changed | ${t[nb_changed]} | ${t[rs_changed]} |"
