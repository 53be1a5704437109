# bench/lib.sh -- shared by bench/local.sh and bench/remote.sh (source it, do not run it).
#
# The caller sets BENCH_NAME (for messages) before sourcing, and before calling the
# functions below the globals they use: WORK OUT LOGS RAW TREE RUNS SEED TOUCH_PCT
# (CHANGE_PCT if it runs "change"), TIMEOUT, HAVE_TIME HAVE_TIMEOUT, ACTIVE (tools to
# run), NODEBACKUPD NODEBACKUPCTL NB_CFG NB_NODE, and these hooks:
#   reset_tool TOOL LOG     empty TOOL's destination before an initial iteration (untimed)
#   dest_of TOOL            TOOL's destination directory ("" = none, no growth measured)
#   tool_cmd TOOL SCEN IT   set CMD (array) and SOUT ("log" or /dev/null)
#   initial_only TOOL       true if TOOL runs in the initial scenario only
#   after_scenario SCEN     called after each scenario's iterations
# Timing: date +%s%N around each command, after an untimed `sync`; /usr/bin/time for
# max RSS and timeout(1) for the per-command limit when available.

die() { echo "$BENCH_NAME: $*" >&2; exit 2; }
say() { echo "[bench] $*" >&2; }

jstr() { python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }
emit() { printf '%s\n' "$1" >>"$RAW"; }

# Checks the options both harnesses share.
validate_common_options() {
    [[ $FILES =~ ^[1-9][0-9]*$ ]] || die "--files must be a positive integer"
    [[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
    [[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "--timeout must be a positive integer"
    [[ $SEED =~ ^[0-9]+$ ]] || die "--seed must be a non-negative integer"
    [[ $TOTAL_MB =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--total-mb must be a number"
}

# setup_work_dir MARKER_NAME: validates WORK (absolute, not /, not inside the source
# tree, empty or made by this harness), creates it and OUT, LOGS, an empty RAW.
setup_work_dir() {
    local marker_name=$1
    WORK=$(realpath -m -- "$WORK")
    [[ $WORK != / && $WORK == /*/* ]] || die "refusing work dir '$WORK'"
    case "$WORK/" in
        "$REPO_ROOT"/*) die "work dir must not be inside the source tree ($REPO_ROOT)" ;;
    esac
    MARKER="$WORK/$marker_name"
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
}

# HAVE_TIME / HAVE_TIMEOUT: whether /usr/bin/time (max RSS) and timeout(1) can wrap commands.
detect_wrappers() {
    HAVE_TIME=0
    [[ -x /usr/bin/time ]] && HAVE_TIME=1
    HAVE_TIMEOUT=0
    command -v timeout >/dev/null 2>&1 && HAVE_TIMEOUT=1
    return 0
}

# Sum of the sizes of the regular files under $1 (0 if absent), as DESIGN §5 defines growth.
tree_bytes() {
    if [[ -d $1 ]]; then
        find "$1" -type f -printf '%s\n' | awk '{s += $1} END {printf "%d\n", s}'
    else
        echo 0
    fi
}

# check_shared_tool TOOL: availability of the tools both harnesses run (nodebackup,
# stat-floor); sets AVAIL/REASON/VERSION[TOOL]. Returns 1 for any other tool.
check_shared_tool() {
    local t=$1
    case $t in
        nodebackup)
            if [[ ! -x $NODEBACKUPD ]]; then
                REASON[$t]="nodebackupd not built ($NODEBACKUPD missing)"
                say "SKIP nodebackup: $NODEBACKUPD is missing or not executable."
                say "     Build it first (cmake -S . -B build && cmake --build build) or set NODEBACKUPD=/path/to/nodebackupd."
                return 0
            fi
            VERSION[$t]=$("$NODEBACKUPD" --version 2>/dev/null | head -n1) || VERSION[$t]="unknown (--version failed)"
            if [[ ! -x $NODEBACKUPCTL ]]; then
                say "WARNING: $NODEBACKUPCTL missing: nodebackup counts (bytes_read/bytes_stored) will be n/a"
            fi ;;
        stat-floor)
            if ! find /dev/null -printf '' >/dev/null 2>&1; then
                REASON[$t]="GNU find (-printf) not available"; say "SKIP stat floor: no GNU find"; return 0
            fi
            VERSION[$t]=$(find --version 2>&1 | head -n1 || true) ;;
        *) return 1 ;;
    esac
    AVAIL[$t]=1
}

# nodebackupctl snapshots NB_NODE --json -> {"count": N, "last": {...}} or null
nb_snapshots() {
    [[ -x $NODEBACKUPCTL && -f $NB_CFG ]] || { echo null; return; }
    "$NODEBACKUPCTL" -c "$NB_CFG" snapshots "$NB_NODE" --json </dev/null 2>>"$1" | python3 -c '
import json, sys
a = json.load(sys.stdin)
print(json.dumps({"count": len(a), "last": a[-1] if a else None}, separators=(",", ":")))
' 2>>"$1" || echo null
}

# run_tool SCEN IT TOOL POS: one timed run, recorded as a "run" line in RAW.
run_tool() {
    local scen=$1 it=$2 t=$3 pos=$4
    local log="$LOGS/$scen-$it-$t.log"
    local dest before=null after=null rc=0 t0 t1 rss=null nb_before=null nb_after=null
    dest=$(dest_of "$t")
    [[ -z $dest ]] || before=$(tree_bytes "$dest")
    [[ $t != nodebackup ]] || nb_before=$(nb_snapshots "$log.ctl")
    tool_cmd "$t" "$scen" "$it"
    printf '$' >>"$log.cmd"; printf ' %q' "${CMD[@]}" >>"$log.cmd"; echo >>"$log.cmd"
    before_run "$t" "$log"
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
    after_run "$t" "$log"
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

# Reads every file of TREE once, so that every tool runs with a warm page cache.
warm_tree() {
    say "warming the page cache (untimed)"
    find "$TREE" -type f -print0 | xargs -0 cat >/dev/null
}

# run_scenarios SCEN...: each of initial, nochange, change, touch RUNS times; in each
# iteration the tree is mutated (untimed), then every active tool runs once, in an order
# rotated per iteration. Re-run scenarios continue from the previous scenario's destinations.
# Optional hooks: rerun_only TOOL (true: the tool is only reset in the initial scenario, and
# timed in the others), before_run TOOL LOG and after_run TOOL LOG (untimed, around the timed
# command; after_run may write the peak RSS in KiB to $LOGS/.rss for a process it owns).
declare -F rerun_only >/dev/null || rerun_only() { return 1; }
declare -F before_run >/dev/null || before_run() { :; }
declare -F after_run >/dev/null || after_run() { :; }

run_scenarios() {
    local scen it t pos pct m stamp=0
    local tools_s=() seeded=() order=()
    for scen in "$@"; do
        tools_s=()
        seeded=()
        for t in "${ACTIVE[@]}"; do
            [[ $scen != initial ]] && initial_only "$t" && continue
            if [[ $scen == initial ]] && rerun_only "$t"; then seeded+=("$t"); continue; fi
            tools_s+=("$t")
        done
        for t in ${seeded[@]+"${seeded[@]}"}; do
            say "[initial] seeding $t (untimed)"
            reset_tool "$t" "$LOGS/initial-$t.reset.log" ||
                say "  reset of $t failed (see $LOGS/initial-$t.reset.log)"
        done
        ((${#tools_s[@]})) || continue
        for ((it = 1; it <= RUNS; it++)); do
            say "[$scen $it/$RUNS]"
            case $scen in
                initial)
                    for t in "${tools_s[@]}"; do
                        if ! reset_tool "$t" "$LOGS/$scen-$it-$t.reset.log"; then
                            say "  reset of $t failed (see $LOGS/$scen-$it-$t.reset.log)"
                        fi
                    done
                    emit "{\"kind\":\"mutation\",\"scenario\":\"$scen\",\"iter\":$it,\"mutation\":{\"mode\":\"none\",\"files\":0,\"bytes\":0}}" ;;
                nochange)
                    emit "{\"kind\":\"mutation\",\"scenario\":\"$scen\",\"iter\":$it,\"mutation\":{\"mode\":\"none\",\"files\":0,\"bytes\":0}}" ;;
                change|touch)
                    stamp=$((stamp + 1))
                    if [[ $scen == change ]]; then pct=$CHANGE_PCT; else pct=$TOUCH_PCT; fi
                    m=$(python3 "$HERE/mutate.py" "$TREE" --mode "$scen" --pct "$pct" --seed "$SEED" --stamp "$stamp")
                    emit "{\"kind\":\"mutation\",\"scenario\":\"$scen\",\"iter\":$it,\"mutation\":$m}"
                    say "  mutation: $m" ;;
                *) die "unknown scenario $scen" ;;
            esac
            mapfile -t order < <(rotated "$it" "${tools_s[@]}")
            pos=0
            for t in "${order[@]}"; do
                pos=$((pos + 1))
                run_tool "$scen" "$it" "$t" "$pos"
            done
        done
        after_scenario "$scen"
    done
}
