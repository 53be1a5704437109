#!/usr/bin/env bash
# nodebackup's S3 backend against restic's, on the same Ceph RGW (scripts/rgw.sh, started here
# and stopped at the end) and the same generated tree: initial backup, no-change re-run, and a
# re-run after P % of the files changed, in ROUNDS rounds (each into fresh repositories, the two
# tools alternating), so each figure is a median. Prints a markdown table of the medians (wall
# seconds) and restic's time over nodebackup's.
#   bash bench/s3.sh [--files N] [--total-mb M] [--change-pct P] [--rounds R] [--work DIR]
# Needs build/nodebackupd (scripts/build.sh) and restic (scripts/install-deps.sh --bench).
set -euo pipefail
cd "$(dirname "$0")/.."
files=100000 total_mb=400 pct=1 rounds=3 work=/var/tmp/nodebackup-s3-bench
while (($#)); do
  case $1 in
    --files) files=$2; shift 2 ;;
    --total-mb) total_mb=$2; shift 2 ;;
    --change-pct) pct=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    *) echo "usage: $0 [--files N] [--total-mb M] [--change-pct P] [--rounds R] [--work DIR]" >&2; exit 2 ;;
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
# config ROUND: round R's config, a fresh prefix and state_dir.
config() {
  python3 - "$work" "$NB_RGW_ENDPOINT" "$NB_RGW_REGION" "$1" <<'PY'
import json, sys
work, endpoint, region, r = sys.argv[1:5]
json.dump({"repository": f"s3://nb-bench/repo{r}", "state_dir": f"{work}/state{r}",
           "control_socket": work + "/control.sock",
           "s3": {"endpoint": endpoint, "region": region, "credentials_file": work + "/credentials"},
           "nodes": [{"id": "01_node", "type": "local", "paths": [work + "/tree"]}]},
          open(f"{work}/config{r}.json", "w"), indent=2)
PY
}

export AWS_ACCESS_KEY_ID=$NB_RGW_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$NB_RGW_SECRET_KEY
export RESTIC_PASSWORD=bench

# Runs the command and prints its wall time in seconds.
timed() {
  local start end
  start=$(date +%s.%N)
  "$@" >"$work/last.log" 2>&1 || { cat "$work/last.log" >&2; exit 1; }
  cat "$work/last.log" >>"$work/runs.log"
  end=$(date +%s.%N)
  python3 -c "print(f'{$end - $start:.2f}')"
}
nb() { "$root/build/nodebackupd" -c "$work/config$r.json" --run-once; }
rs() { restic backup --quiet "$work/tree"; }

declare -A t
for ((r = 1; r <= rounds; r++)); do
  config "$r"
  # Untimed, as restic's init: the first write to a new cluster makes RGW create its pools.
  build/nodebackupctl -c "$work/config$r.json" init >/dev/null
  export RESTIC_REPOSITORY="s3:$NB_RGW_ENDPOINT/restic-bench$r"
  restic init >/dev/null
  # The tools take turns going first, so neither always meets a cold or a warm cache.
  if ((r % 2)); then order="nb rs"; else order="rs nb"; fi
  for tool in $order; do t[${tool}_initial]+="$(timed $tool) "; done
  for tool in $order; do t[${tool}_same]+="$(timed $tool) "; done
  python3 bench/mutate.py "$work/tree" --mode change --pct "$pct" --seed $((r + 1)) --stamp "$r" >/dev/null
  for tool in $order; do t[${tool}_changed]+="$(timed $tool) "; done
done

# median "a b c" → the median; row LABEL KEY → a table row with restic's time over ours.
median() { python3 -c "import statistics, sys; print(f'{statistics.median(map(float, sys.argv[1:])):.2f}')" $1; }
row() {
  local a b
  a=$(median "${t[nb_$2]}") b=$(median "${t[rs_$2]}")
  echo "| $1 | $a | $b | $(python3 -c "print(f'{$b / $a:.1f}×')") | ${t[nb_$2]}/ ${t[rs_$2]}|"
}
echo "| $files files, $total_mb MiB, RGW on 127.0.0.1, median of $rounds | nodebackup (s) | restic (s) | restic / nodebackup | every run (nb / restic) |"
echo "|---|---|---|---|---|"
row "initial backup" initial
row "no-change re-run" same
row "$pct % changed" changed
