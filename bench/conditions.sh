#!/usr/bin/env bash
# bench/conditions.sh -- bench/remote.sh under each condition users have, for both transports:
# loopback with a bare /bin/sh user, a heavy login shell (0.3 s start-up that prints), a 50 ms
# round trip (the delaying proxy), and this machine's own root login. Each invocation runs
# nodebackup and `rsync -a -e ssh` through the same path in the same run; the tables of all
# invocations are gathered into one markdown file.
#   bash bench/conditions.sh [--files N] [--total-mb M] [--runs R] [--out FILE]
#                            [--conditions bare,heavy,rtt50,root] [--transports exec,sftp]
# NODEBACKUPD / NODEBACKUPCTL as for remote.sh (a Release build: scripts/build.sh --release).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

FILES=20000 TOTAL_MB=80 RUNS=3 OUT=/var/tmp/nodebackup-conditions.md
CONDITIONS=bare,heavy,rtt50,root TRANSPORTS=exec,sftp
while (($#)); do
    (($# >= 2)) || { echo "option $1 needs a value" >&2; exit 2; }
    case $1 in
        --files) FILES=$2 ;;
        --total-mb) TOTAL_MB=$2 ;;
        --runs) RUNS=$2 ;;
        --out) OUT=$2 ;;
        --conditions) CONDITIONS=$2 ;;
        --transports) TRANSPORTS=$2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift 2
done

condition_args() {
    case $1 in
        bare) echo "" ;;
        heavy) echo "--user-shell heavy" ;;
        rtt50) echo "--rtt 50" ;;
        root) echo "--root-login" ;;
        *) echo "unknown condition $1" >&2; exit 2 ;;
    esac
}

{
    echo "# Remote pulls under real conditions, $(date -u +%Y-%m-%d)"
    echo
    echo "$FILES files / $TOTAL_MB MiB, $RUNS runs, medians; nodebackupd: ${NODEBACKUPD:-build/nodebackupd}"
    echo "(\`$(git -C "$HERE/.." rev-parse --short HEAD)\`). Each table is one invocation of bench/remote.sh."
} >"$OUT"

IFS=, read -r -a conds <<<"$CONDITIONS"
IFS=, read -r -a transports <<<"$TRANSPORTS"
for c in "${conds[@]}"; do
    for t in "${transports[@]}"; do
        work=/var/tmp/nodebackup-bench-conditions
        # shellcheck disable=SC2046  # the condition's options are words
        args=(--files "$FILES" --total-mb "$TOTAL_MB" --runs "$RUNS" --transport "$t"
              --tools nodebackup,rsync --work "$work" --clean $(condition_args "$c"))
        echo "== $c / $t: bench/remote.sh ${args[*]}" >&2
        rm -rf -- "$work"
        if bash "$HERE/remote.sh" "${args[@]}" >&2; then
            {
                echo
                echo "## $c, $t"
                echo
                echo "\`bench/remote.sh ${args[*]}\`"
                echo
                sed -n '/^| scenario/,/^$/p' "$work/results/results.md"
            } >>"$OUT"
        else
            printf '\n## %s, %s\n\nfailed: see the output above\n' "$c" "$t" >>"$OUT"
        fi
    done
done
echo "report: $OUT" >&2
