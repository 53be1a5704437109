#!/usr/bin/env bash
# bench/remote.sh -- side-by-side remote-node benchmark: nodebackup's SSH node (SFTP,
# or --transport exec)
# vs rsync -e ssh and sftp get -r, pulling one generated tree from an sshd on
# 127.0.0.1:22022 (loopback only, started here with scripts/demo-sshd.sh and
# stopped at the end), in three scenarios:
#   initial   pull into an empty destination (each tool's destination reset, untimed)
#   nochange  re-run, nothing changed
#   touch     re-run after TOUCH_PCT % of the files only got a new past mtime
# sftp get -r runs in the initial scenario only (a re-run is another full copy); the
# local stat floor (find -printf) is run for reference. Timing as in local.sh
# (bench/lib.sh): date +%s%N around each command, untimed `sync` before it, warm cache.
# Needs root (the sshd switches to the user nbdemo, created if missing).
# See bench/README.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HERE/.." && pwd)
BENCH_NAME=remote.sh
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"

FILES=100000
TOTAL_MB=400
RUNS=3
SEED=1
TOUCH_PCT=5
WORK=/var/tmp/nodebackup-bench-remote
OUT=""
TOOLS="nodebackup,rsync,sftp-get,stat-floor"
CLEAN=0
TIMEOUT=3600
TRANSPORT=sftp
USER_SHELL=bare
RTT_MS=0
ROOT_LOGIN=0

# Fixed by scripts/demo-sshd.sh: loopback only, this port, this user.
SSH_HOST=127.0.0.1
SSH_PORT=22022
SSH_USER=nbdemo
DEMO_SSHD="$REPO_ROOT/scripts/demo-sshd.sh"

NODEBACKUPD=${NODEBACKUPD:-$REPO_ROOT/build/nodebackupd}
NODEBACKUPCTL=${NODEBACKUPCTL:-$REPO_ROOT/build/nodebackupctl}

usage() {
    cat <<EOF
usage: bash bench/remote.sh [options]
  --files N         files in the generated tree        (default $FILES)
  --total-mb M      total content size in MiB          (default $TOTAL_MB)
  --runs R          repetitions per scenario           (default $RUNS)
  --out DIR         results directory                  (default WORK/results)
  --work DIR        work directory (tree, destinations, sshd keys; wiped at start;
                    must be readable by the user $SSH_USER)   (default $WORK)
  --seed S          tree and mutation seed             (default $SEED)
  --touch-pct P     % of files only touched            (default $TOUCH_PCT)
  --tools LIST      comma list from: nodebackup,rsync,sftp-get,stat-floor
                                                       (default: all)
  --timeout SECS    kill a timed command after SECS    (default $TIMEOUT; exit code 124)
  --transport T     nodebackup's ssh transport, sftp or exec (default $TRANSPORT)
  --user-shell S    bare: the user's shell is /bin/sh (default); heavy: bash whose
                    ~/.bashrc and ~/.profile sleep 0.3 s and print a line (to stderr, so
                    rsync and sftp, which need a clean stdout, can run too)
  --rtt MS          every tool connects through a TCP proxy on 127.0.0.1 that delays each
                    direction by MS/2 (tests/support/net/delay_proxy.py)   (default 0: none)
  --root-login      log in as this machine's own root, with its own start-up files
  --clean           delete the tree and destinations at the end (results are kept)
The sshd listens on $SSH_HOST:$SSH_PORT only; the port must be free (stop the demo first).
environment: NODEBACKUPD (default $REPO_ROOT/build/nodebackupd),
             NODEBACKUPCTL (default $REPO_ROOT/build/nodebackupctl)
EOF
}

while (($#)); do
    case $1 in
        --*=*) set -- "${1%%=*}" "${1#*=}" "${@:2}"; continue ;;
        -h|--help) usage; exit 0 ;;
        --clean) CLEAN=1; shift; continue ;;
        --root-login) ROOT_LOGIN=1; shift; continue ;;
    esac
    (($# >= 2)) || die "option $1 needs a value (see --help)"
    case $1 in
        --files) FILES=$2 ;;
        --total-mb) TOTAL_MB=$2 ;;
        --runs) RUNS=$2 ;;
        --out) OUT=$2 ;;
        --work) WORK=$2 ;;
        --seed) SEED=$2 ;;
        --touch-pct) TOUCH_PCT=$2 ;;
        --tools) TOOLS=$2 ;;
        --timeout) TIMEOUT=$2 ;;
        --transport) TRANSPORT=$2 ;;
        --user-shell) USER_SHELL=$2 ;;
        --rtt) RTT_MS=$2 ;;
        *) usage >&2; die "unknown option: $1" ;;
    esac
    shift 2
done

validate_common_options
[[ $TOUCH_PCT =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--touch-pct must be a number"
[[ $TRANSPORT == sftp || $TRANSPORT == exec ]] || die "--transport must be sftp or exec"
[[ $USER_SHELL == bare || $USER_SHELL == heavy ]] || die "--user-shell must be bare or heavy"
[[ $RTT_MS =~ ^[0-9]+$ ]] || die "--rtt must be a whole number of milliseconds"
if ((ROOT_LOGIN)) && [[ $USER_SHELL == heavy ]]; then
    die "--root-login uses root's own shell: no --user-shell heavy"
fi
SSHD_USER_SHELL=/bin/sh
if ((ROOT_LOGIN)); then
    SSH_USER=root
elif [[ $USER_SHELL == heavy ]]; then
    SSH_USER=nbheavybench
    SSHD_USER_SHELL=/bin/bash
fi
# What the tools connect to: the sshd, or the delaying proxy in front of it.
CONNECT_PORT=$SSH_PORT
((RTT_MS > 0)) && CONNECT_PORT=$((SSH_PORT + 1))

# ------------------------------------------------------------ prerequisites --
((EUID == 0)) || die "needs root: $DEMO_SSHD creates the user $SSH_USER and starts an sshd that logs it in"
for c in ssh ssh-keygen /usr/sbin/sshd; do
    command -v "$c" >/dev/null 2>&1 || die "$c not found (needs the OpenSSH client and server)"
done
[[ -x $DEMO_SSHD || -f $DEMO_SSHD ]] || die "$DEMO_SSHD not found"

port_busy() { (exec 3<>"/dev/tcp/$SSH_HOST/$SSH_PORT") 2>/dev/null; }
if port_busy; then
    die "port $SSH_PORT on $SSH_HOST is already in use (the demo's sshd? scripts/demo.sh starts one there); stop it and re-run"
fi

# ---------------------------------------------------------------- work dir --
[[ $(realpath -m -- "$WORK") =~ ^[A-Za-z0-9._/-]+$ ]] || \
    die "work dir may only contain A-Z a-z 0-9 . _ - / (it is passed inside ssh, rsync -e and sftp batch commands)"
setup_work_dir .nodebackup-bench-remote

TREE="$WORK/tree"
NB="$WORK/nb"
NB_CFG="$NB/config.json"
NB_NODE=02_node
SSH_DIR="$WORK/ssh"
SFTP_BATCH="$WORK/sftp.batch"

# Only the script's own sub-directories are ever deleted.
wipe_data() { rm -rf -- "$TREE" "$NB" "$WORK/rsync" "$WORK/sftp" "$SFTP_BATCH" "$SSH_DIR"; }

SSH_OPTS=(-i "$SSH_DIR/id_ed25519" -o "UserKnownHostsFile=$SSH_DIR/known_hosts"
          -o StrictHostKeyChecking=accept-new -o BatchMode=yes)
RSYNC_RSH="ssh -p $CONNECT_PORT ${SSH_OPTS[*]}"   # no spaces in WORK (checked above)

# --------------------------------------------------------------- tool check --
declare -A AVAIL=() REASON=() VERSION=()
IFS=, read -r -a WANTED <<<"$TOOLS"
ALL_TOOLS=(nodebackup rsync sftp-get stat-floor)
for t in "${WANTED[@]}"; do
    case " ${ALL_TOOLS[*]} " in *" $t "*) ;; *) die "unknown tool '$t' in --tools" ;; esac
done
wanted() { case ",$TOOLS," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

for t in "${ALL_TOOLS[@]}"; do
    AVAIL[$t]=0
    if ! wanted "$t"; then REASON[$t]="not selected (--tools)"; continue; fi
    check_shared_tool "$t" && continue
    case $t in
        rsync)
            if ! command -v rsync >/dev/null 2>&1; then
                REASON[$t]="rsync not installed"; say "SKIP rsync: not installed"; continue
            fi
            VERSION[$t]=$(rsync --version 2>&1 | head -n1 || true) ;;
        sftp-get)
            if ! command -v sftp >/dev/null 2>&1; then
                REASON[$t]="sftp not installed"; say "SKIP sftp get -r: sftp not installed"; continue
            fi
            VERSION[$t]="" ;;   # OpenSSH: see ssh_version in the meta record
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
emit "{\"kind\":\"meta\",\"bench\":\"remote\",\"files\":$FILES,\"total_mb\":$TOTAL_MB,\"runs\":$RUNS,\"seed\":$SEED,\"touch_pct\":$TOUCH_PCT,\"work\":$(jstr "$WORK"),\"out\":$(jstr "$OUT"),\"started\":$(jstr "$(date -u +%Y-%m-%dT%H:%M:%SZ)"),\"host\":$(jstr "$(uname -srm)"),\"cpus\":$(nproc),\"mem_mib\":$(awk '/MemTotal/ {printf "%d", $2/1024}' /proc/meminfo),\"fstype\":$(jstr "$(findmnt -n -o FSTYPE -T "$WORK" 2>/dev/null || echo unknown)"),\"ssh_host\":\"$SSH_HOST\",\"ssh_port\":$SSH_PORT,\"ssh_user\":\"$SSH_USER\",\"user_shell\":\"$USER_SHELL\",\"rtt_ms\":$RTT_MS,\"root_login\":$ROOT_LOGIN,\"ssh_version\":$(jstr "$(ssh -V 2>&1 | head -n1)"),\"node\":\"$NB_NODE\",\"transport\":\"$TRANSPORT\",\"nodebackupd\":$(jstr "$NODEBACKUPD"),\"cache\":\"warm\",\"sync_before_each\":true,\"timeout_s\":$TIMEOUT}"

# ------------------------------------------------------------- tree set-up --
say "work dir $WORK, results in $OUT"
wipe_data
say "generating tree: $FILES files, $TOTAL_MB MiB, seed $SEED"
TREE_JSON=$(python3 "$HERE/gen_tree.py" "$TREE" --files "$FILES" --total-mb "$TOTAL_MB" --seed "$SEED")
emit "{\"kind\":\"tree\",\"tree\":$TREE_JSON}"
say "tree: $TREE_JSON"
# the sshd logs in as $SSH_USER: it must be able to walk and read the tree
chmod 0755 -- "$WORK"
chmod -R a+rX -- "$TREE"

# -------------------------------------------------------------------- sshd --
SSHD_PID=""

alive() {   # a process that exists and is not a zombie
    local st
    st=$(sed -n 's/^.*) \([A-Za-z]\).*$/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ -n $st && $st != Z ]]
}

descendants() {
    local c
    for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
        echo "$c"
        descendants "$c"
    done
}

# Stops the sshd this script started (its PID only, and any connection children it still
# has), then checks that none of them is left and that the port is closed.
stop_sshd() {
    [[ -n $SSHD_PID ]] || return 0
    local pid=$SSHD_PID kids left="" k i
    SSHD_PID=""
    kids=$(descendants "$pid" | tr '\n' ' ')
    for k in $kids; do kill "$k" 2>/dev/null || true; done
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        alive "$pid" || break
        sleep 0.1
    done
    alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
    for k in $kids; do alive "$k" && kill -KILL "$k" 2>/dev/null || true; done
    sleep 0.2
    for k in $pid $kids; do alive "$k" && left+=" $k"; done
    if [[ -n $left ]]; then
        say "WARNING: sshd process(es) still running:$left"
    elif port_busy; then
        say "WARNING: sshd $pid stopped, but $SSH_HOST:$SSH_PORT still accepts connections"
    else
        say "sshd $pid stopped (nothing of it left, port $SSH_PORT closed)"
    fi
}
trap stop_sshd EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "starting sshd on $SSH_HOST:$SSH_PORT ($DEMO_SSHD $SSH_DIR)"
SSHD_PID=$(bash "$DEMO_SSHD" "$SSH_DIR" "$SSH_USER" "$SSHD_USER_SHELL" 2>"$LOGS/sshd-start.log" | tail -n1) || true
if ! [[ $SSHD_PID =~ ^[0-9]+$ ]]; then
    SSHD_PID=""
    cat "$LOGS/sshd-start.log" >&2 || true
    die "could not start the sshd (see $LOGS/sshd-start.log, $SSH_DIR/sshd.log)"
fi
# make sure the PID is ours before we ever signal it
if ! tr '\0' ' ' <"/proc/$SSHD_PID/cmdline" 2>/dev/null | grep -qF -- "$SSH_DIR/sshd_config"; then
    bad=$SSHD_PID; SSHD_PID=""
    die "PID $bad printed by $DEMO_SSHD is not an sshd using $SSH_DIR/sshd_config; not touching it"
fi
say "sshd pid $SSHD_PID"

if [[ $USER_SHELL == heavy ]]; then
    home=$(getent passwd "$SSH_USER" | cut -d: -f6)
    for f in .bashrc .profile; do
        printf '%s\n' '# bench/remote.sh --user-shell heavy: a slow start-up, as pyenv and cargo make one' \
            'sleep 0.3' 'echo "heavy shell start-up done" >&2' >"$home/$f"
        chown "$SSH_USER" "$home/$f"
    done
fi

PROXY_PID=""
stop_proxy() {
    [[ -n $PROXY_PID ]] || return 0
    kill "$PROXY_PID" 2>/dev/null || true
    wait "$PROXY_PID" 2>/dev/null || true
    say "delay proxy $PROXY_PID stopped"
    PROXY_PID=""
}
if ((RTT_MS > 0)); then
    python3 "$REPO_ROOT/tests/support/net/delay_proxy.py" "$CONNECT_PORT" "$SSH_PORT" "$RTT_MS" \
        >"$LOGS/proxy.log" 2>&1 &
    PROXY_PID=$!
    for ((i = 0; i < 100; i++)); do
        grep -q ready "$LOGS/proxy.log" 2>/dev/null && break
        sleep 0.1
    done
    grep -q ready "$LOGS/proxy.log" || die "the delay proxy did not start (see $LOGS/proxy.log)"
    say "delay proxy pid $PROXY_PID: 127.0.0.1:$CONNECT_PORT -> $SSH_PORT, ${RTT_MS} ms round trip"
fi
trap 'stop_proxy; stop_sshd' EXIT

# Untimed check: logs in, records the host key in known_hosts (accept-new), and checks
# that $SSH_USER can read every file of the tree.
say "checking ssh login and that $SSH_USER can read the tree (untimed)"
readable=$(timeout 120 ssh -p "$CONNECT_PORT" "${SSH_OPTS[@]}" "$SSH_USER@$SSH_HOST" \
               "find '$TREE' -type f -readable | wc -l" </dev/null 2>"$LOGS/ssh-check.log") || \
    die "ssh login as $SSH_USER@$SSH_HOST:$SSH_PORT failed (see $LOGS/ssh-check.log, $SSH_DIR/sshd.log)"
readable=${readable//[[:space:]]/}
[[ $readable == "$FILES" ]] || \
    die "$SSH_USER can read $readable of $FILES files of $TREE: every parent of --work must be searchable by others"

# ---------------------------------------------------------- per-tool hooks --
write_nb_config() {
    mkdir -p -- "$NB"
    python3 - "$NB_CFG" "$NB" "$TREE" "$SSH_DIR" "$SSH_HOST" "$CONNECT_PORT" "$SSH_USER" "$NB_NODE" "$TRANSPORT" <<'EOF'
import json, sys
cfg, nb, tree, sshdir, host, port, user, node, transport = sys.argv[1:10]
with open(cfg, "w") as f:
    json.dump({"repository": nb + "/repo", "state_dir": nb + "/state",
               "control_socket": nb + "/s.sock",
               "nodes": [{"id": node, "type": "ssh", "host": host, "port": int(port),
                          "user": user, "identity_file": sshdir + "/id_ed25519",
                          "known_hosts": sshdir + "/known_hosts",
                          "host_key_policy": "accept-new", "transport": transport,
                          "paths": [tree]}]}, f, indent=2)
    f.write("\n")
EOF
}

# Empty destination for the initial scenario (untimed). Returns non-zero on failure.
reset_tool() {
    local t=$1
    case $t in
        nodebackup) rm -rf -- "$NB/repo" "$NB/state" "$NB/s.sock"; write_nb_config ;;
        rsync) rm -rf -- "$WORK/rsync"; mkdir -p -- "$WORK/rsync/dest" ;;
        sftp-get) rm -rf -- "$WORK/sftp"; mkdir -p -- "$WORK/sftp"
                  printf 'get -r "%s" "%s"\n' "$TREE" "$WORK/sftp/dest" >"$SFTP_BATCH" ;;
        stat-floor) : ;;
    esac
}

dest_of() {
    case $1 in
        nodebackup) echo "$NB/repo" ;;
        rsync) echo "$WORK/rsync/dest" ;;
        sftp-get) echo "$WORK/sftp/dest" ;;
        *) echo "" ;;
    esac
}

# Sets CMD (array) and SOUT (stdout target: "log" or /dev/null).
tool_cmd() {
    local t=$1
    SOUT=log
    case $t in
        nodebackup) CMD=("$NODEBACKUPD" -c "$NB_CFG" --run-once) ;;
        rsync) CMD=(rsync -a -e "$RSYNC_RSH" "$SSH_USER@$SSH_HOST:$TREE/" "$WORK/rsync/dest/") ;;
        # the batch file holds: get -r TREE WORK/sftp/dest (a fresh destination each time)
        sftp-get) CMD=(sftp -q -r -P "$CONNECT_PORT" "${SSH_OPTS[@]}" -b "$SFTP_BATCH" "$SSH_USER@$SSH_HOST") ;;
        stat-floor) CMD=(find "$TREE" -printf '%s %T@ %C@ %i %p\n'); SOUT=/dev/null ;;
    esac
}

initial_only() { [[ $1 == sftp-get ]]; }   # sftp get -r: no incremental mode

# the sftp copy is not needed after the initial scenario
after_scenario() { [[ $1 != initial ]] || rm -rf -- "$WORK/sftp" "$SFTP_BATCH"; }

# ------------------------------------------------------------------- run it --
warm_tree
run_scenarios initial nochange touch

emit "{\"kind\":\"end\",\"finished\":$(jstr "$(date -u +%Y-%m-%dT%H:%M:%SZ)")}"
rm -f -- "$LOGS/.rss"
stop_proxy
stop_sshd

if ((CLEAN)); then
    say "--clean: removing tree, destinations and ssh keys"
    wipe_data
fi

python3 "$HERE/report.py" "$RAW" --out "$OUT"
