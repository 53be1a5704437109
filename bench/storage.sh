#!/usr/bin/env bash
# bench/storage.sh -- repository format 2 against restic and borg, same data, same run
# (issue 12). Measures what each tool's repository grows by (the sum of its regular files'
# sizes, DESIGN §5), medians over the runs:
#   a. grow      a 64 MiB random file gains 1 MiB of random data before each of RUNS re-runs
#   b. overwrite 4 KiB in the middle of a 64 MiB random file overwritten before each re-run
#   c. docs      /usr/share/doc and /usr/include backed up once: repository size
#   d. files     FILES small files backed up once: files in the repository, and time
#   e. crypto    nodebackup plain vs encrypted on the tree of d: initial and no-change times,
#                the no-change run both as `--run-once` (a process start, one key unwrap each)
#                and in the daemon (`nodebackupctl run --wait`, key and hash store in memory)
# restic runs with repository version 2 (zstd, its default "auto" level), borg with its
# default (lz4) and with zstd,3. Writes results.md (and raw.tsv) in OUT.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HERE/.." && pwd)
WORK=/var/tmp/nodebackup-storage-bench
OUT=""
RUNS=4
FILES=100000
FILES_MB=100
SCENARIOS=a,b,c,d,e
NODEBACKUPD=${NODEBACKUPD:-$REPO_ROOT/build/nodebackupd}
NODEBACKUPCTL=${NODEBACKUPCTL:-$REPO_ROOT/build/nodebackupctl}

usage() {
    cat <<EOF
usage: bash bench/storage.sh [--runs R] [--files N] [--files-mb M] [--scenarios LIST]
                             [--work DIR] [--out DIR]
  defaults: --runs $RUNS --files $FILES --files-mb $FILES_MB --scenarios $SCENARIOS
            --work $WORK --out WORK/results
environment: NODEBACKUPD, NODEBACKUPCTL (default build/ of this checkout)
EOF
}
while (($#)); do
    case $1 in
        -h|--help) usage; exit 0 ;;
        --runs) RUNS=$2 ;;
        --files) FILES=$2 ;;
        --files-mb) FILES_MB=$2 ;;
        --scenarios) SCENARIOS=$2 ;;
        --work) WORK=$2 ;;
        --out) OUT=$2 ;;
        *) usage >&2; exit 2 ;;
    esac
    shift 2
done
[[ $WORK == /*/* && $WORK != "$REPO_ROOT"* ]] || { echo "refusing work dir $WORK" >&2; exit 2; }
if [[ -e $WORK && ! -e $WORK/.storage-bench ]] && [[ -n $(ls -A "$WORK") ]]; then
    echo "$WORK is not empty and was not made by this script" >&2; exit 2
fi
mkdir -p "$WORK" && touch "$WORK/.storage-bench"
OUT=${OUT:-$WORK/results}
mkdir -p "$OUT"
RAW=$OUT/raw.tsv
: >"$RAW"
say() { echo "[storage] $*" >&2; }
want() { [[ ,$SCENARIOS, == *,$1,* ]]; }

export RESTIC_PASSWORD=nodebackup-bench
export BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes BORG_RELOCATED_REPO_ACCESS_IS_OK=yes
export BORG_BASE_DIR=$WORK/borg-base

bytes() { find "$1" -type f -printf '%s\n' | awk '{s += $1} END {printf "%d\n", s}'; }
nfiles() { find "$1" -type f | wc -l; }
now() { date +%s%N; }
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$RAW"; }  # scenario tool key value

# A destination per tool and data set: init / backup / its repository directory.
nb_config() {  # DIR SRC [password file]
    local pw=""
    [[ -z ${3:-} ]] || pw=", \"repository_password_file\": \"$3\""
    mkdir -p "$1"
    # A day's interval: a daemon started on it runs only when asked.
    printf '{"repository": "%s/repo", "state_dir": "%s/state"%s, "control_socket": "%s/s.sock",\n "defaults": {"interval": "24h", "jitter": "0s"},\n "nodes": [{"id": "01_node", "type": "local", "paths": [%s]}]}\n' \
        "$1" "$1" "$pw" "$1" "$2" >"$1/config.json"
}
init_tool() {  # TOOL DIR SRC_JSON_LIST
    local t=$1 d=$2
    rm -rf "$d"; mkdir -p "$d"
    case $t in
        nodebackup) nb_config "$d" "$3" ;;
        nodebackup-enc)
            printf 'bench passphrase\n' >"$d.pw"; chmod 600 "$d.pw"
            nb_config "$d" "$3" "$d.pw"
            "$NODEBACKUPCTL" -c "$d/config.json" init --encrypt >/dev/null ;;
        restic) restic -r "$d/repo" init --repository-version 2 >/dev/null 2>&1 ;;
        borg) borg init -e none "$d/repo" >/dev/null 2>&1 ;;
        borg-zstd) borg init -e none "$d/repo" >/dev/null 2>&1 ;;
    esac
}
N=0
backup_tool() {  # TOOL DIR SRC... ; prints nothing, fails loudly
    local t=$1 d=$2; shift 2
    N=$((N + 1))
    case $t in
        nodebackup|nodebackup-enc)
            "$NODEBACKUPD" -c "$d/config.json" --run-once --log-level warning ;;
        restic) restic -r "$d/repo" backup --quiet "$@" >/dev/null ;;
        borg) borg create "$d/repo::s$N" "$@" ;;
        borg-zstd) borg create --compression zstd,3 "$d/repo::s$N" "$@" ;;
    esac
}
json_list() { local out="" p; for p in "$@"; do out+="${out:+, }\"$p\""; done; echo "$out"; }

# ---------------------------------------------------------------- a and b --
DATA=$WORK/data
rand() { python3 -c "import os,sys; sys.stdout.buffer.write(os.urandom($1))"; }
for scen in grow overwrite; do
    { [[ $scen == grow ]] && want a; } || { [[ $scen == overwrite ]] && want b; } || continue
    for t in nodebackup restic borg; do
        rm -rf "$DATA"; mkdir -p "$DATA"
        python3 -c "import random,sys; r=random.Random(7); sys.stdout.buffer.write(r.randbytes(64<<20))" >"$DATA/big"
        d=$WORK/$scen-$t
        init_tool "$t" "$d" "$(json_list "$DATA")"
        backup_tool "$t" "$d" "$DATA"
        for ((i = 1; i <= RUNS; i++)); do
            if [[ $scen == grow ]]; then
                rand $((1 << 20)) >>"$DATA/big"
            else
                rand 4096 | dd of="$DATA/big" bs=4096 seek=$(((32 << 20) / 4096)) conv=notrunc status=none
            fi
            touch -d "-$((100 - i)) min" "$DATA/big"
            before=$(bytes "$d/repo")
            backup_tool "$t" "$d" "$DATA"
            record "$scen" "$t" added $(($(bytes "$d/repo") - before))
        done
        say "$scen $t done"
    done
done

# -------------------------------------------------------------------- c --
DOCS=(/usr/share/doc /usr/include)
record docs source bytes "$(du -sb "${DOCS[@]}" | awk '{s += $1} END {print s}')"
for t in nodebackup restic borg borg-zstd; do
    want c || break
    d=$WORK/docs-$t
    init_tool "$t" "$d" "$(json_list "${DOCS[@]}")"
    t0=$(now)
    backup_tool "$t" "$d" "${DOCS[@]}" 2>/dev/null || true  # unreadable files are not fatal
    record docs "$t" seconds "$(( ($(now) - t0) / 1000000 ))"
    record docs "$t" bytes "$(bytes "$d/repo")"
    say "docs $t done"
done

# ------------------------------------------------------------- d and e --
TREE=$WORK/tree
rm -rf "$TREE"
{ want d || want e; } && python3 "$HERE/gen_tree.py" "$TREE" --files "$FILES" --total-mb "$FILES_MB" --seed 1 >/dev/null
for t in nodebackup restic borg; do
    want d || break
    d=$WORK/files-$t
    init_tool "$t" "$d" "$(json_list "$TREE")"
    t0=$(now)
    backup_tool "$t" "$d" "$TREE"
    record files "$t" seconds "$(( ($(now) - t0) / 1000000 ))"
    record files "$t" files "$(nfiles "$d/repo")"
    say "files $t done"
done
DAEMON_PID=""
stop_daemon() {
    [[ -n $DAEMON_PID ]] || return 0
    kill -TERM "$DAEMON_PID" 2>/dev/null || true
    wait "$DAEMON_PID" 2>/dev/null || true
    DAEMON_PID=""
}
trap stop_daemon EXIT
# The daemon started untimed; it answers status once its key is unwrapped and its hash store
# loaded, as in production between runs.
start_daemon() {  # DIR
    "$NODEBACKUPD" -c "$1/config.json" --log-level warning >>"$1.daemon" 2>&1 &
    DAEMON_PID=$!
    local tries=0
    until "$NODEBACKUPCTL" -c "$1/config.json" status >/dev/null 2>&1; do
        kill -0 "$DAEMON_PID" 2>/dev/null || { echo "nodebackupd exited (see $1.daemon)" >&2; exit 1; }
        ((++tries < 600)) || { echo "nodebackupd did not answer (see $1.daemon)" >&2; exit 1; }
        sleep 0.1
    done
}
for ((i = 1; i <= 3; i++)); do
    want e || break
    for t in nodebackup nodebackup-enc; do
        d=$WORK/crypto-$t
        init_tool "$t" "$d" "$(json_list "$TREE")"
        sync; t0=$(now)
        backup_tool "$t" "$d" "$TREE"
        record crypto "$t" initial_ms "$(( ($(now) - t0) / 1000000 ))"
        sync; t0=$(now)
        backup_tool "$t" "$d" "$TREE"
        record crypto "$t" nochange_ms "$(( ($(now) - t0) / 1000000 ))"
        start_daemon "$d"
        for ((j = 1; j <= 3; j++)); do
            sync; t0=$(now)
            "$NODEBACKUPCTL" -c "$d/config.json" run 01_node --wait >/dev/null
            record crypto "$t" daemon_ms "$(( ($(now) - t0) / 1000000 ))"
        done
        stop_daemon
    done
done
say "crypto done"

python3 - "$RAW" "$OUT/results.md" "$RUNS" "$FILES" "$FILES_MB" <<'EOF'
import collections, statistics, sys, subprocess
raw, out, runs, files, files_mb = sys.argv[1:6]
v = collections.defaultdict(list)
for line in open(raw):
    s, t, k, x = line.rstrip("\n").split("\t")
    v[(s, t, k)].append(int(x))
med = lambda key: statistics.median(v[key]) if v[key] else float("nan")
def mib(b): return f"{b / 2**20:.2f} MiB"
def ver(cmd):
    try: return subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()[0]
    except Exception: return "?"
L = ["# Storage benchmark: repository format 2 vs restic and borg", "",
     f"- {ver(['restic', 'version'])} (repository version 2: zstd, `auto`); {ver(['borg', '--version'])} "
     "(default lz4, and `--compression zstd,3` where shown); nodebackup format 2 (zstd 3, chunks "
     "32 KiB / 128 KiB / 1 MiB, FastCDC normalisation 3, packs 16 MiB). Growth = sum of the repository's regular-file sizes.",
     f"- Re-runs per scenario: {runs}; medians.", "",
     "## a/b. Bytes added per re-run of a 64 MiB random file", "",
     "| scenario | nodebackup | restic | borg | goal |", "|---|---:|---:|---:|---|"]
for s, name, goal in [("grow", "a. +1 MiB appended", "≤ 1.2 MiB"),
                      ("overwrite", "b. 4 KiB overwritten mid-file", "≤ avg chunk + 4 KiB = 132 KiB")]:
    L.append(f"| {name} | " + " | ".join(mib(med((s, t, "added"))) for t in ["nodebackup", "restic", "borg"]) + f" | {goal} |")
L += ["", "## c. /usr/share/doc + /usr/include, one backup", "",
      f"Source: {mib(med(('docs', 'source', 'bytes')))}.", "",
      "| tool | repository | seconds |", "|---|---:|---:|"]
for t in ["nodebackup", "restic", "borg", "borg-zstd"]:
    L.append(f"| {t} | {mib(med(('docs', t, 'bytes')))} | {med(('docs', t, 'seconds')) / 1000:.1f} |")
L += ["", f"## d. {files} files ({files_mb} MiB), one backup: files in the repository", "",
      "| tool | files written | seconds |", "|---|---:|---:|"]
for t in ["nodebackup", "restic", "borg"]:
    L.append(f"| {t} | {med(('files', t, 'files')):.0f} | {med(('files', t, 'seconds')) / 1000:.1f} |")
L += ["", "## e. nodebackup plain vs encrypted (tree of d, 3 runs, medians)", "",
      "| repository | initial s | no-change s (`--run-once`) | no-change s (daemon) |", "|---|---:|---:|---:|"]
for t in ["nodebackup", "nodebackup-enc"]:
    L.append(f"| {'encrypted' if t.endswith('enc') else 'plain'} | {med(('crypto', t, 'initial_ms')) / 1000:.2f} | {med(('crypto', t, 'nochange_ms')) / 1000:.2f} | {med(('crypto', t, 'daemon_ms')) / 1000:.3f} |")
p, e = med(("crypto", "nodebackup", "initial_ms")), med(("crypto", "nodebackup-enc", "initial_ms"))
pn, en = med(("crypto", "nodebackup", "nochange_ms")), med(("crypto", "nodebackup-enc", "nochange_ms"))
pd, ed = med(("crypto", "nodebackup", "daemon_ms")), med(("crypto", "nodebackup-enc", "daemon_ms"))
L += ["", f"Encryption costs {100 * (e - p) / p:+.0f} % on the initial backup (goal ≤ 15 %), "
      f"{100 * (en - pn) / pn:+.0f} % on a `--run-once` no-change run (a key unwrap per process) and "
      f"{100 * (ed - pd) / pd:+.0f} % on a no-change run in the daemon (goal: nothing measurable).", ""]
open(out, "w").write("\n".join(L))
print("\n".join(L))
EOF
