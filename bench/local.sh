#!/usr/bin/env bash
# bench/local.sh -- side-by-side local benchmark: nodebackup vs rsync, restic,
# borg, and two floors (find = stat floor, cp -a = copy floor), on one
# generated tree, in four scenarios:
#   initial   backup into an empty destination (each tool's destination reset, untimed)
#   nochange  re-run, nothing changed
#   change    re-run after CHANGE_PCT % of the files got new content (+ new past mtime)
#   touch     re-run after TOUCH_PCT % of the files only got a new past mtime
# Tool "nodebackupd" is the daemon: seeded by one untimed --run-once, then each re-run is
# `nodebackupctl run 01_node --wait` against a daemon started before it (untimed, so its hash
# store is already in memory, as in production) and stopped after; its peak RSS is the daemon's.
# Each timed command is wall-clock timed here (date +%s%N); resets, mutations,
# size measurements and the `sync` before each timed command are not timed.
# The page cache is never dropped: every tool runs warm.
# See bench/README.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HERE/.." && pwd)
BENCH_NAME=local.sh
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"

FILES=100000
TOTAL_MB=400
RUNS=3
SEED=1
CHANGE_PCT=1
TOUCH_PCT=5
WORK=/var/tmp/nodebackup-bench
OUT=""
TOOLS="nodebackup,nodebackupd,rsync,restic,borg,stat-floor,copy-floor"
CLEAN=0
TIMEOUT=3600

NODEBACKUPD=${NODEBACKUPD:-$REPO_ROOT/build/nodebackupd}
NODEBACKUPCTL=${NODEBACKUPCTL:-$REPO_ROOT/build/nodebackupctl}

usage() {
    cat <<EOF
usage: bash bench/local.sh [options]
  --files N         files in the generated tree        (default $FILES)
  --total-mb M      total content size in MiB          (default $TOTAL_MB)
  --runs R          repetitions per scenario           (default $RUNS)
  --out DIR         results directory                  (default WORK/results)
  --work DIR        work directory (tree, destinations; wiped at start)
                                                       (default $WORK)
  --seed S          tree and mutation seed             (default $SEED)
  --change-pct P    % of files whose content changes   (default $CHANGE_PCT)
  --touch-pct P     % of files only touched            (default $TOUCH_PCT)
  --tools LIST      comma list from: nodebackup,nodebackupd,rsync,restic,borg,
                    stat-floor,copy-floor
                                                       (default: all)
  --timeout SECS    kill a timed command after SECS    (default $TIMEOUT; exit code 124)
  --clean           delete the tree and destinations at the end (results are kept)
environment: NODEBACKUPD (default $REPO_ROOT/build/nodebackupd),
             NODEBACKUPCTL (default $REPO_ROOT/build/nodebackupctl)
EOF
}

while (($#)); do
    case $1 in
        --*=*) set -- "${1%%=*}" "${1#*=}" "${@:2}"; continue ;;
        -h|--help) usage; exit 0 ;;
        --clean) CLEAN=1; shift; continue ;;
    esac
    (($# >= 2)) || die "option $1 needs a value (see --help)"
    case $1 in
        --files) FILES=$2 ;;
        --total-mb) TOTAL_MB=$2 ;;
        --runs) RUNS=$2 ;;
        --out) OUT=$2 ;;
        --work) WORK=$2 ;;
        --seed) SEED=$2 ;;
        --change-pct) CHANGE_PCT=$2 ;;
        --touch-pct) TOUCH_PCT=$2 ;;
        --tools) TOOLS=$2 ;;
        --timeout) TIMEOUT=$2 ;;
        *) usage >&2; die "unknown option: $1" ;;
    esac
    shift 2
done

validate_common_options
[[ $CHANGE_PCT =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--change-pct must be a number"
[[ $TOUCH_PCT =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--touch-pct must be a number"

# ---------------------------------------------------------------- work dir --
setup_work_dir .nodebackup-bench

TREE="$WORK/tree"
NB="$WORK/nb"
NB_CFG="$NB/config.json"
NB_NODE=01_node
NBD="$WORK/nbd"   # the daemon's own repository and state
NBD_CFG="$NBD/config.json"
NBD_PID=""

# Only the script's own sub-directories are ever deleted.
wipe_data() { rm -rf -- "$TREE" "$NB" "$NBD" "$WORK/rsync" "$WORK/restic" "$WORK/borg" "$WORK/cp"; }

export RESTIC_REPOSITORY="$WORK/restic/repo"
export RESTIC_PASSWORD="nodebackup-bench"
export RESTIC_CACHE_DIR="$WORK/restic/cache"
export BORG_REPO="$WORK/borg/repo"
export BORG_BASE_DIR="$WORK/borg/base"
export BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes
export BORG_RELOCATED_REPO_ACCESS_IS_OK=yes

# --------------------------------------------------------------- tool check --
declare -A AVAIL=() REASON=() VERSION=()
IFS=, read -r -a WANTED <<<"$TOOLS"
ALL_TOOLS=(nodebackup nodebackupd rsync restic borg stat-floor copy-floor)
for t in "${WANTED[@]}"; do
    case " ${ALL_TOOLS[*]} " in *" $t "*) ;; *) die "unknown tool '$t' in --tools" ;; esac
done
wanted() { case ",$TOOLS," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

RESTIC_EXTRA=()
for t in "${ALL_TOOLS[@]}"; do
    AVAIL[$t]=0
    if ! wanted "$t"; then REASON[$t]="not selected (--tools)"; continue; fi
    check_shared_tool "$t" && continue
    case $t in
        nodebackupd)
            if [[ ! -x $NODEBACKUPD || ! -x $NODEBACKUPCTL ]]; then
                REASON[$t]="nodebackupd or nodebackupctl not built"; continue
            fi
            VERSION[$t]=$("$NODEBACKUPD" --version 2>&1 | head -n1 || true) ;;
        rsync|restic|borg)
            if ! command -v "$t" >/dev/null 2>&1; then
                REASON[$t]="$t not installed"; say "SKIP $t: not installed"; continue
            fi
            case $t in
                rsync) VERSION[$t]=$(rsync --version 2>&1 | head -n1 || true) ;;
                restic) VERSION[$t]=$(restic version 2>&1 | head -n1 || true)
                        if restic backup --help 2>/dev/null | grep -q -- '--no-scan'; then
                            RESTIC_EXTRA=(--no-scan)
                        fi ;;
                borg) VERSION[$t]=$(borg --version 2>&1 | head -n1 || true) ;;
            esac ;;
        copy-floor)
            if ! command -v cp >/dev/null 2>&1; then REASON[$t]="cp not found"; continue; fi
            VERSION[$t]=$(cp --version 2>&1 | head -n1 || true) ;;
    esac
    AVAIL[$t]=1
done
detect_wrappers

ACTIVE=()
for t in "${ALL_TOOLS[@]}"; do ((AVAIL[$t])) && ACTIVE+=("$t"); done
((${#ACTIVE[@]})) || die "no tool available"

for t in "${ALL_TOOLS[@]}"; do
    emit "{\"kind\":\"tool\",\"tool\":\"$t\",\"available\":$( ((AVAIL[$t])) && echo true || echo false ),\"version\":$(jstr "${VERSION[$t]:-}"),\"reason\":$(jstr "${REASON[$t]:-}")}"
done
emit "{\"kind\":\"meta\",\"files\":$FILES,\"total_mb\":$TOTAL_MB,\"runs\":$RUNS,\"seed\":$SEED,\"change_pct\":$CHANGE_PCT,\"touch_pct\":$TOUCH_PCT,\"work\":$(jstr "$WORK"),\"out\":$(jstr "$OUT"),\"started\":$(jstr "$(date -u +%Y-%m-%dT%H:%M:%SZ)"),\"host\":$(jstr "$(uname -srm)"),\"cpus\":$(nproc),\"mem_mib\":$(awk '/MemTotal/ {printf "%d", $2/1024}' /proc/meminfo),\"fstype\":$(jstr "$(findmnt -n -o FSTYPE -T "$WORK" 2>/dev/null || echo unknown)"),\"restic_extra\":$(jstr "${RESTIC_EXTRA[*]-}"),\"nodebackupd\":$(jstr "$NODEBACKUPD"),\"cache\":\"warm\",\"sync_before_each\":true,\"timeout_s\":$TIMEOUT}"

# ------------------------------------------------------------- tree set-up --
say "work dir $WORK, results in $OUT"
wipe_data
say "generating tree: $FILES files, $TOTAL_MB MiB, seed $SEED"
TREE_JSON=$(python3 "$HERE/gen_tree.py" "$TREE" --files "$FILES" --total-mb "$TOTAL_MB" --seed "$SEED")
emit "{\"kind\":\"tree\",\"tree\":$TREE_JSON}"
say "tree: $TREE_JSON"

# ---------------------------------------------------------- per-tool hooks --
# write_nb_config [CFG DIR]: one local node; a day's interval, so a daemon started on it
# only runs when asked.
write_nb_config() {
    local cfg=${1:-$NB_CFG} dir=${2:-$NB}
    mkdir -p -- "$dir"
    python3 - "$cfg" "$dir" "$TREE" <<'EOF'
import json, sys
cfg, nb, tree = sys.argv[1:4]
with open(cfg, "w") as f:
    json.dump({"repository": nb + "/repo", "state_dir": nb + "/state",
               "control_socket": nb + "/s.sock",
               "defaults": {"interval": "24h", "jitter": "0s"},
               "nodes": [{"id": "01_node", "type": "local", "paths": [tree]}]}, f, indent=2)
    f.write("\n")
EOF
}

stop_daemon() {
    [[ -n $NBD_PID ]] || return 0
    kill -TERM "$NBD_PID" 2>/dev/null || true
    wait "$NBD_PID" 2>/dev/null || true
    NBD_PID=""
}
trap stop_daemon EXIT

# Starts the daemon (untimed) and waits until its control socket answers, i.e. until its
# hash store is loaded.
before_run() {
    [[ $1 == nodebackupd ]] || return 0
    "$NODEBACKUPD" -c "$NBD_CFG" >>"$2.daemon" 2>&1 &
    NBD_PID=$!
    local tries=0
    until "$NODEBACKUPCTL" -c "$NBD_CFG" status >/dev/null 2>&1; do
        kill -0 "$NBD_PID" 2>/dev/null || die "nodebackupd exited at start (see $2.daemon)"
        ((++tries < 600)) || die "nodebackupd did not answer within 60 s (see $2.daemon)"
        sleep 0.1
    done
}

# The daemon's peak RSS is what the run cost; then it is stopped.
after_run() {
    [[ $1 == nodebackupd && -n $NBD_PID ]] || return 0
    awk '/^VmHWM:/ {print $2}' "/proc/$NBD_PID/status" >"$LOGS/.rss" 2>/dev/null || true
    stop_daemon
}

rerun_only() { [[ $1 == nodebackupd ]]; }

# Empty destination for the initial scenario (untimed). Returns non-zero on failure.
reset_tool() {
    local t=$1 log=$2
    case $t in
        nodebackup) rm -rf -- "$NB/repo" "$NB/state" "$NB/s.sock"; write_nb_config ;;
        nodebackupd) rm -rf -- "$NBD"; write_nb_config "$NBD_CFG" "$NBD"
                     "$NODEBACKUPD" -c "$NBD_CFG" --run-once </dev/null >"$log" 2>&1 ;;
        rsync) rm -rf -- "$WORK/rsync"; mkdir -p -- "$WORK/rsync/dest" ;;
        restic) rm -rf -- "$WORK/restic"; mkdir -p -- "$WORK/restic"
                restic init </dev/null >"$log" 2>&1 ;;
        borg) rm -rf -- "$WORK/borg"; mkdir -p -- "$BORG_BASE_DIR"
              borg init -e none </dev/null >"$log" 2>&1 ;;
        copy-floor) rm -rf -- "$WORK/cp"; mkdir -p -- "$WORK/cp" ;;
        stat-floor) : ;;
    esac
}

dest_of() {
    case $1 in
        nodebackup) echo "$NB/repo" ;;
        nodebackupd) echo "$NBD/repo" ;;
        rsync) echo "$WORK/rsync/dest" ;;
        restic) echo "$RESTIC_REPOSITORY" ;;
        borg) echo "$BORG_REPO" ;;
        copy-floor) echo "$WORK/cp/dest" ;;
        *) echo "" ;;
    esac
}

# Sets CMD (array) and SOUT (stdout target: "log" or /dev/null).
tool_cmd() {
    local t=$1 scen=$2 it=$3
    SOUT=log
    case $t in
        nodebackup) CMD=("$NODEBACKUPD" -c "$NB_CFG" --run-once) ;;
        nodebackupd) CMD=("$NODEBACKUPCTL" -c "$NBD_CFG" run "$NB_NODE" --wait) ;;
        rsync) CMD=(rsync -a "$TREE/" "$WORK/rsync/dest/") ;;
        restic) CMD=(restic backup ${RESTIC_EXTRA[@]+"${RESTIC_EXTRA[@]}"} "$TREE") ;;
        borg) CMD=(borg create "::$scen-$it-$(date +%s%N)" "$TREE") ;;
        stat-floor) CMD=(find "$TREE" -printf '%s %T@ %C@ %i %p\n'); SOUT=/dev/null ;;
        copy-floor) CMD=(cp -a "$TREE" "$WORK/cp/dest") ;;
    esac
}

initial_only() { [[ $1 == copy-floor ]]; }   # cp -a: initial only

# the copy floor's copy is not needed after the initial scenario
after_scenario() { [[ $1 != initial ]] || rm -rf -- "$WORK/cp"; }

# ------------------------------------------------------------------- warm up --
warm_tree
run_scenarios initial nochange change touch

emit "{\"kind\":\"end\",\"finished\":$(jstr "$(date -u +%Y-%m-%dT%H:%M:%SZ)")}"
rm -f -- "$LOGS/.rss"

if ((CLEAN)); then
    say "--clean: removing tree and destinations"
    wipe_data
fi

python3 "$HERE/report.py" "$RAW" --out "$OUT"
