#!/usr/bin/env bash
# bench/local.sh -- side-by-side local benchmark: nodebackup vs rsync, restic,
# borg, and two floors (find = stat floor, cp -a = copy floor), on one
# generated tree, in four scenarios:
#   initial   backup into an empty destination (each tool's destination reset, untimed)
#   nochange  re-run, nothing changed
#   change    re-run after CHANGE_PCT % of the files got new content (+ new past mtime)
#   touch     re-run after TOUCH_PCT % of the files only got a new past mtime
# Each timed command is wall-clock timed here (date +%s%N); resets, mutations,
# size measurements and the `sync` before each timed command are not timed.
# The page cache is never dropped: every tool runs warm.
# See bench/README.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HERE/.." && pwd)

FILES=100000
TOTAL_MB=400
RUNS=3
SEED=1
CHANGE_PCT=1
TOUCH_PCT=5
WORK=/var/tmp/nodebackup-bench
OUT=""
TOOLS="nodebackup,rsync,restic,borg,stat-floor,copy-floor"
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
  --tools LIST      comma list from: nodebackup,rsync,restic,borg,stat-floor,copy-floor
                                                       (default: all)
  --timeout SECS    kill a timed command after SECS    (default $TIMEOUT; exit code 124)
  --clean           delete the tree and destinations at the end (results are kept)
environment: NODEBACKUPD (default $REPO_ROOT/build/nodebackupd),
             NODEBACKUPCTL (default $REPO_ROOT/build/nodebackupctl)
EOF
}

die() { echo "local.sh: $*" >&2; exit 2; }
say() { echo "[bench] $*" >&2; }

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

[[ $FILES =~ ^[1-9][0-9]*$ ]] || die "--files must be a positive integer"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
[[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "--timeout must be a positive integer"
[[ $SEED =~ ^[0-9]+$ ]] || die "--seed must be a non-negative integer"
[[ $TOTAL_MB =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--total-mb must be a number"
[[ $CHANGE_PCT =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--change-pct must be a number"
[[ $TOUCH_PCT =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--touch-pct must be a number"

# ---------------------------------------------------------------- work dir --
WORK=$(realpath -m -- "$WORK")
[[ $WORK != / && $WORK == /*/* ]] || die "refusing work dir '$WORK'"
case "$WORK/" in
    "$REPO_ROOT"/*) die "work dir must not be inside the source tree ($REPO_ROOT)" ;;
esac
MARKER="$WORK/.nodebackup-bench"
if [[ -e $WORK && ! -e $MARKER ]] && [[ -n $(ls -A -- "$WORK" 2>/dev/null) ]]; then
    die "$WORK exists, is not empty and was not made by this script (no $MARKER); pick another --work"
fi
mkdir -p -- "$WORK"
touch -- "$MARKER"
[[ -n $OUT ]] || OUT="$WORK/results"
OUT=$(realpath -m -- "$OUT")
mkdir -p -- "$OUT"
LOGS="$OUT/logs"
rm -rf -- "$LOGS"
mkdir -p -- "$LOGS"
RAW="$OUT/raw.jsonl"
: >"$RAW"

TREE="$WORK/tree"
NB="$WORK/nb"
NB_CFG="$NB/config.json"

# Only the script's own sub-directories are ever deleted.
wipe_data() { rm -rf -- "$TREE" "$NB" "$WORK/rsync" "$WORK/restic" "$WORK/borg" "$WORK/cp"; }

export RESTIC_REPOSITORY="$WORK/restic/repo"
export RESTIC_PASSWORD="nodebackup-bench"
export RESTIC_CACHE_DIR="$WORK/restic/cache"
export BORG_REPO="$WORK/borg/repo"
export BORG_BASE_DIR="$WORK/borg/base"
export BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes
export BORG_RELOCATED_REPO_ACCESS_IS_OK=yes

# ------------------------------------------------------------------ helpers --
jstr() { python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }
emit() { printf '%s\n' "$1" >>"$RAW"; }

# Sum of the sizes of the regular files under $1 (0 if absent), as DESIGN §5 defines growth.
tree_bytes() {
    if [[ -d $1 ]]; then
        find "$1" -type f -printf '%s\n' | awk '{s += $1} END {printf "%d\n", s}'
    else
        echo 0
    fi
}

# --------------------------------------------------------------- tool check --
declare -A AVAIL=() REASON=() VERSION=()
IFS=, read -r -a WANTED <<<"$TOOLS"
ALL_TOOLS=(nodebackup rsync restic borg stat-floor copy-floor)
for t in "${WANTED[@]}"; do
    case " ${ALL_TOOLS[*]} " in *" $t "*) ;; *) die "unknown tool '$t' in --tools" ;; esac
done
wanted() { case ",$TOOLS," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

RESTIC_EXTRA=()
for t in "${ALL_TOOLS[@]}"; do
    AVAIL[$t]=0
    if ! wanted "$t"; then REASON[$t]="not selected (--tools)"; continue; fi
    case $t in
        nodebackup)
            if [[ ! -x $NODEBACKUPD ]]; then
                REASON[$t]="nodebackupd not built ($NODEBACKUPD missing)"
                say "SKIP nodebackup: $NODEBACKUPD is missing or not executable."
                say "     Build it first (cmake -S . -B build && cmake --build build) or set NODEBACKUPD=/path/to/nodebackupd."
                continue
            fi
            VERSION[$t]=$("$NODEBACKUPD" --version 2>/dev/null | head -n1) || VERSION[$t]="unknown (--version failed)"
            if [[ ! -x $NODEBACKUPCTL ]]; then
                say "WARNING: $NODEBACKUPCTL missing: nodebackup counts (bytes_read/bytes_stored) will be n/a"
            fi ;;
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
        stat-floor)
            if ! find /dev/null -printf '' >/dev/null 2>&1; then
                REASON[$t]="GNU find (-printf) not available"; say "SKIP stat floor: no GNU find"; continue
            fi
            VERSION[$t]=$(find --version 2>&1 | head -n1 || true) ;;
        copy-floor)
            if ! command -v cp >/dev/null 2>&1; then REASON[$t]="cp not found"; continue; fi
            VERSION[$t]=$(cp --version 2>&1 | head -n1 || true) ;;
    esac
    AVAIL[$t]=1
done
HAVE_TIME=0
[[ -x /usr/bin/time ]] && HAVE_TIME=1
HAVE_TIMEOUT=0
command -v timeout >/dev/null 2>&1 && HAVE_TIMEOUT=1

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
write_nb_config() {
    mkdir -p -- "$NB"
    python3 - "$NB_CFG" "$NB" "$TREE" <<'EOF'
import json, sys
cfg, nb, tree = sys.argv[1:4]
with open(cfg, "w") as f:
    json.dump({"repository": nb + "/repo", "state_dir": nb + "/state",
               "control_socket": nb + "/s.sock",
               "nodes": [{"id": "01_node", "type": "local", "paths": [tree]}]}, f, indent=2)
    f.write("\n")
EOF
}

# Empty destination for the initial scenario (untimed). Returns non-zero on failure.
reset_tool() {
    local t=$1 log=$2
    case $t in
        nodebackup) rm -rf -- "$NB/repo" "$NB/state" "$NB/s.sock"; write_nb_config ;;
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
        rsync) CMD=(rsync -a "$TREE/" "$WORK/rsync/dest/") ;;
        restic) CMD=(restic backup ${RESTIC_EXTRA[@]+"${RESTIC_EXTRA[@]}"} "$TREE") ;;
        borg) CMD=(borg create "::$scen-$it-$(date +%s%N)" "$TREE") ;;
        stat-floor) CMD=(find "$TREE" -printf '%s %T@ %C@ %i %p\n'); SOUT=/dev/null ;;
        copy-floor) CMD=(cp -a "$TREE" "$WORK/cp/dest") ;;
    esac
}

# nodebackupctl snapshots --json -> {"count": N, "last": {...}} or null
nb_snapshots() {
    [[ -x $NODEBACKUPCTL && -f $NB_CFG ]] || { echo null; return; }
    "$NODEBACKUPCTL" -c "$NB_CFG" snapshots 01_node --json </dev/null 2>>"$1" | python3 -c '
import json, sys
a = json.load(sys.stdin)
print(json.dumps({"count": len(a), "last": a[-1] if a else None}, separators=(",", ":")))
' 2>>"$1" || echo null
}

run_tool() {
    local scen=$1 it=$2 t=$3 pos=$4
    local log="$LOGS/$scen-$it-$t.log"
    local dest before=null after=null rc=0 t0 t1 rss=null nb_before=null nb_after=null
    dest=$(dest_of "$t")
    [[ -z $dest ]] || before=$(tree_bytes "$dest")
    [[ $t != nodebackup ]] || nb_before=$(nb_snapshots "$log.ctl")
    tool_cmd "$t" "$scen" "$it"
    printf '$' >>"$log.cmd"; printf ' %q' "${CMD[@]}" >>"$log.cmd"; echo >>"$log.cmd"
    sync
    t0=$(date +%s%N)
    local wrap=()
    ((HAVE_TIME)) && wrap+=(/usr/bin/time -f '%M' -o "$LOGS/.rss")
    ((HAVE_TIMEOUT)) && wrap+=(timeout --foreground -k 10 "$TIMEOUT")
    if [[ $SOUT == log ]]; then
        ${wrap[@]+"${wrap[@]}"} "${CMD[@]}" </dev/null >"$log" 2>&1 || rc=$?
    else
        ${wrap[@]+"${wrap[@]}"} "${CMD[@]}" </dev/null >/dev/null 2>"$log" || rc=$?
    fi
    t1=$(date +%s%N)
    if ((HAVE_TIME)); then
        rss=$(tail -n1 "$LOGS/.rss" 2>/dev/null || true)
        [[ $rss =~ ^[0-9]+$ ]] || rss=null
    fi
    [[ -z $dest ]] || after=$(tree_bytes "$dest")
    [[ $t != nodebackup ]] || nb_after=$(nb_snapshots "$log.ctl")
    emit "{\"kind\":\"run\",\"scenario\":\"$scen\",\"iter\":$it,\"tool\":\"$t\",\"pos\":$pos,\"ns\":$((t1 - t0)),\"rc\":$rc,\"maxrss_kb\":$rss,\"dest_before\":$before,\"dest_after\":$after,\"nb_before\":$nb_before,\"nb_after\":$nb_after,\"log\":$(jstr "$log")}"
    local secs
    secs=$(awk -v n=$((t1 - t0)) 'BEGIN {printf "%.3f", n / 1e9}')
    if ((rc == 124 && HAVE_TIMEOUT)); then
        say "  $t: TIMED OUT after ${TIMEOUT}s (see $log)"
    elif ((rc)); then
        say "  $t: ${secs}s  FAILED rc=$rc (see $log)"
    else
        say "  $t: ${secs}s"
    fi
}

# Tools of a scenario, rotated by the iteration number.
rotated() {
    local it=$1; shift
    local n=$# k
    local arr=("$@")
    for ((k = 0; k < n; k++)); do echo "${arr[(it - 1 + k) % n]}"; done
}

# ------------------------------------------------------------------- warm up --
say "warming the page cache (untimed)"
find "$TREE" -type f -print0 | xargs -0 cat >/dev/null

STAMP=0
for scen in initial nochange change touch; do
    TOOLS_S=()
    for t in "${ACTIVE[@]}"; do
        [[ $scen != initial && $t == copy-floor ]] && continue   # cp -a: initial only
        TOOLS_S+=("$t")
    done
    ((${#TOOLS_S[@]})) || continue
    for ((it = 1; it <= RUNS; it++)); do
        say "[$scen $it/$RUNS]"
        case $scen in
            initial)
                for t in "${TOOLS_S[@]}"; do
                    if ! reset_tool "$t" "$LOGS/$scen-$it-$t.reset.log"; then
                        say "  reset of $t failed (see $LOGS/$scen-$it-$t.reset.log)"
                    fi
                done
                emit "{\"kind\":\"mutation\",\"scenario\":\"$scen\",\"iter\":$it,\"mutation\":{\"mode\":\"none\",\"files\":0,\"bytes\":0}}" ;;
            nochange)
                emit "{\"kind\":\"mutation\",\"scenario\":\"$scen\",\"iter\":$it,\"mutation\":{\"mode\":\"none\",\"files\":0,\"bytes\":0}}" ;;
            change|touch)
                STAMP=$((STAMP + 1))
                if [[ $scen == change ]]; then pct=$CHANGE_PCT; else pct=$TOUCH_PCT; fi
                m=$(python3 "$HERE/mutate.py" "$TREE" --mode "$scen" --pct "$pct" --seed "$SEED" --stamp "$STAMP")
                emit "{\"kind\":\"mutation\",\"scenario\":\"$scen\",\"iter\":$it,\"mutation\":$m}"
                say "  mutation: $m" ;;
        esac
        mapfile -t ORDER < <(rotated "$it" "${TOOLS_S[@]}")
        pos=0
        for t in "${ORDER[@]}"; do
            pos=$((pos + 1))
            run_tool "$scen" "$it" "$t" "$pos"
        done
    done
    # the copy floor's copy is not needed after the initial scenario
    [[ $scen != initial ]] || rm -rf -- "$WORK/cp"
done

emit "{\"kind\":\"end\",\"finished\":$(jstr "$(date -u +%Y-%m-%dT%H:%M:%SZ)")}"
rm -f -- "$LOGS/.rss"

if ((CLEAN)); then
    say "--clean: removing tree and destinations"
    wipe_data
fi

python3 "$HERE/report.py" "$RAW" --out "$OUT"
