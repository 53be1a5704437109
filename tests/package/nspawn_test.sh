#!/usr/bin/env bash
# The Debian package under a real systemd: builds the .deb, checks it unpacked (binaries,
# shipped config, lintian, unit), then boots a minimal Debian 12 root with systemd-nspawn
# (systemd as PID 1), installs the package with dpkg -i and checks what an operator relies on:
# the unit becomes active through READY=1, reload adds a node and refuses a broken config,
# journald gets the run summaries with priorities, nodebackupctl reaches the socket (root and
# the nodebackup group), the watchdog catches a hung daemon, stop leaves the hash store on
# disk, and purge leaves nothing behind.
#
# The root comes from debootstrap (minbase + systemd, dbus, procps and the package's Depends)
# off the mirror this machine's apt uses, cached under /var/cache/nodebackup-test keyed by
# everything that goes into it; --volatile=overlay keeps the cached root untouched.
# Run as root: tests/package/nspawn_test.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

cache=/var/cache/nodebackup-test
suite=bookworm
started=$SECONDS

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Polls "$@" every 0.1 s until it succeeds or DEADLINE seconds have passed.
wait_for() {
  local what=$1 deadline=$2
  shift 2
  local end=$((SECONDS + deadline))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < end)) || fail "timed out after ${deadline}s waiting for: $what"
    sleep 0.1
  done
}

scripts/install-deps.sh --package
say "build the package"
deb=$(packaging/build-deb.sh | tail -n 1)
echo "$deb"
dpkg-deb -I "$deb" | sed -n '/Package:/,$p'

work=$(mktemp -d /var/tmp/nodebackup-pkgtest.XXXXXX)
nspawn_pid=""
cleanup() {
  if [[ -n $nspawn_pid ]] && kill -0 "$nspawn_pid" 2>/dev/null; then
    kill -TERM "$nspawn_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$nspawn_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

say "the package unpacked: lintian, binaries, shipped config, unit, man pages"
lintian --fail-on error "$deb" || fail "lintian reports errors"
dpkg-deb -x "$deb" "$work/x"
"$work/x/usr/sbin/nodebackupd" --version | grep -qx "nodebackupd 0.1.0" || fail "--version"
"$work/x/usr/sbin/nodebackupd" -c "$work/x/etc/nodebackup/config.json" --check-config \
  | tee "$work/check.txt"
grep -q "control_socket: *\/run\/nodebackup\/control.sock" "$work/check.txt" || fail "socket"
grep -q "repository: *\/var\/lib\/nodebackup\/" "$work/check.txt" || fail "repository"
"$work/x/usr/bin/nodebackupctl" --help >/dev/null
for page in man8/nodebackupd.8 man8/nodebackupctl.8 man5/nodebackup.json.5; do
  out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$work/x/usr/share/man/$page.gz" 2>&1 >/dev/null)
  [[ -z $out ]] || fail "man $page: $out"
done
dpkg-deb -c "$deb" | awk '{print $1, $2, $NF}'

say "a Debian 12 root ($suite, minbase) for systemd-nspawn"
# The mirror this machine's apt uses for bookworm (deb822 .sources or one-line .list).
mirror=$(python3 - "$suite" <<'PY'
import glob, re, sys
suite = sys.argv[1]
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    for stanza in re.split(r"\n\s*\n", open(path).read()):
        fields = dict(re.findall(r"^([A-Za-z-]+):\s*(.*)$", stanza, re.M))
        if "deb" in fields.get("Types", "").split() and suite in fields.get("Suites", "").split():
            print(fields["URIs"].split()[0]); sys.exit()
for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
    try: lines = open(path).read().splitlines()
    except OSError: continue
    for line in lines:
        words = re.sub(r"\[[^]]*\]", "", line.split("#")[0]).split()
        if len(words) >= 3 and words[0] == "deb" and words[2] == suite:
            print(words[1]); sys.exit()
sys.exit("no apt source for " + suite)
PY
)
# The package's Depends, first alternatives, without versions: installed by debootstrap so
# dpkg -i needs no network. debootstrap takes only real packages: a virtual one
# (libspdlog1.10-fmt9) is replaced by the package that provides it.
real_package() {
  if [[ -n $(apt-cache showpkg "$1" | sed -n '/^Versions:/{n;p;q}') ]]; then
    echo "$1"
  else
    apt-cache showpkg "$1" | sed -n '/^Reverse Provides:/{n;p;q}' | cut -d' ' -f1
  fi
}
depends=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/ //g' | grep . |
  while read -r name; do real_package "$name"; done | sort -u | paste -sd,)
[[ $depends != *,,* ]] || fail "a dependency without an installable package: $depends"
include=$(tr ',' '\n' <<<"systemd,dbus,procps,$depends" | sort -u | paste -sd,)
key=$(printf '%s\n' "v1" "$suite" minbase "$include" "$mirror" | sha256sum | cut -c1-16)
root=$cache/$suite-$key
echo "mirror $mirror; include $include; cache $root"
if [[ ! -e $root/complete ]]; then
  rm -rf "$cache"/"$suite"-*  # any other key is stale
  mkdir -p "$cache"
  debootstrap --variant=minbase --include="$include" "$suite" "$root/tree" "$mirror" \
    > "$cache/debootstrap.log" 2>&1 || { tail -n 30 "$cache/debootstrap.log"; fail "debootstrap"; }
  # Nothing in the test needs these at boot; without them boot is quicker and quieter.
  chroot "$root/tree" systemctl mask systemd-networkd-wait-online.service getty@.service \
    console-getty.service systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer \
    >/dev/null 2>&1 || true
  touch "$root/complete"
fi

say "boot it: systemd as PID 1"
systemd-nspawn --quiet --register=no --keep-unit --volatile=overlay --private-network \
  --console=pipe -D "$root/tree" --boot </dev/null >"$work/console.log" 2>&1 &
nspawn_pid=$!
ct_pid=""
container_init() {
  local child
  for child in $(cat /proc/"$nspawn_pid"/task/*/children 2>/dev/null); do
    if [[ $(cat /proc/"$child"/comm 2>/dev/null) == systemd ]]; then ct_pid=$child; return 0; fi
  done
  return 1
}
wait_for "the container's systemd" 30 container_init
# Inside the container, with a clean environment (no JOURNAL_STREAM etc. from here).
in_ct() { nsenter -t "$ct_pid" -a -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
booted() { [[ $(in_ct systemctl is-system-running 2>/dev/null) =~ ^(running|degraded)$ ]]; }
boot_start=$SECONDS
wait_for "boot to finish" 60 booted
echo "container PID 1 is host pid $ct_pid; $(in_ct systemctl is-system-running) after $((SECONDS - boot_start))s"
in_ct systemctl --failed --no-legend --plain | sed 's/^/  failed unit: /'

say "dpkg -i: the nodebackup user, the unit enabled and active (READY=1)"
cp "$deb" /proc/"$ct_pid"/root/var/tmp/nodebackup.deb
in_ct dpkg -i /var/tmp/nodebackup.deb
in_ct id nodebackup
[[ $(in_ct systemctl is-enabled nodebackupd) == enabled ]] || fail "not enabled"
active() { [[ $(in_ct systemctl is-active nodebackupd) == active ]]; }
wait_for "nodebackupd active" 30 active
in_ct systemctl status --no-pager nodebackupd | head -n 12 || true
in_ct stat -c '%A %U:%G %n' /run/nodebackup /run/nodebackup/control.sock /var/lib/nodebackup
in_ct systemd-analyze verify --man=no nodebackupd.service || fail "systemd-analyze verify"
in_ct systemd-analyze security --no-pager nodebackupd.service | tail -n 1

say "nodebackupctl status as root, with the shipped config"
in_ct nodebackupctl status
in_ct nodebackupctl status --json | grep -q '"id": *"01_node"' || fail "01_node not in status"
summary() { in_ct journalctl -u nodebackupd -o cat --no-pager | grep -q "$1 backup complete"; }
failed() { in_ct journalctl -u nodebackupd -o cat --no-pager -p err | grep -q "$1 backup failed"; }
in_ct nodebackupctl run 01_node --wait
wait_for "01_node's summary in the journal" 10 summary 01_node

say "reload: a config with the test's nodes (one backs up a path that does not exist, one is down)"
in_ct mkdir -p /srv/nbtest/n1/conf
for i in 1 2 3; do echo "value $i" | in_ct tee /srv/nbtest/n1/conf/$i.conf >/dev/null; done
write_config() {
  in_ct tee /etc/nodebackup/config.json >/dev/null <<EOF
{
  "repository": "/var/lib/nodebackup/repo",
  "state_dir": "/var/lib/nodebackup",
  "control_socket": "/run/nodebackup/control.sock",
  "defaults": {"interval": "1h", "jitter": "0s"},
  "nodes": [
    {"id": "n1", "type": "local", "paths": ["/srv/nbtest/n1"]},
    {"id": "ghost", "type": "local", "paths": ["/srv/nbtest/nothing-here"]},
    {"id": "down", "type": "ssh", "host": "127.0.0.1", "port": 1, "user": "backup",
     "identity_file": "/etc/nodebackup/id_ed25519", "paths": ["/etc"]}$1
  ]
}
EOF
}
write_config ""
in_ct systemctl reload nodebackupd
has_node() { in_ct nodebackupctl -s /run/nodebackup/control.sock status --json | grep -q "\"id\": *\"$1\""; }
wait_for "n1 in status after reload" 30 has_node n1
has_node 01_node && fail "01_node still in status after reload"
wait_for "n1's first run" 60 summary n1
wait_for "ghost's run" 60 summary ghost
in_ct nodebackupctl status

say "journald: the summaries at info, the missing path at warning"
in_ct journalctl -u nodebackupd -o cat --no-pager -p info | grep "backup complete"
in_ct journalctl -u nodebackupd -o cat --no-pager -p warning | tee "$work/warnings.txt"
grep -q "ghost.*nothing-here" "$work/warnings.txt" || fail "no warning for the missing path"
wait_for "down's failed run" 60 failed down
in_ct journalctl -u nodebackupd -o cat --no-pager -p warning > "$work/warnings.txt"
grep -q "down backup failed" "$work/warnings.txt" || fail "no error for the failed run"
grep -q "backup complete" "$work/warnings.txt" && fail "-p warning shows info lines"

say "reload with a broken config: refused, the running one stays"
in_ct tee /etc/nodebackup/config.json >/dev/null <<<'{"repository": "/var/lib/nodebackup/repo", "nodes": [}'
in_ct systemctl reload nodebackupd
refused() { in_ct journalctl -u nodebackupd -o cat --no-pager -p err | grep -q "reload refused"; }
wait_for "the refusal in the journal" 30 refused
in_ct journalctl -u nodebackupd -o cat --no-pager -p err | grep "reload refused"
active || fail "not active after a broken reload"
has_node n1 || fail "n1 gone after a broken reload"
write_config ',
    {"id": "n2", "type": "local", "paths": ["/srv/nbtest/n1/conf"]}'
in_ct nodebackupctl reload
wait_for "n2 in status after reload" 30 has_node n2

say "nodebackupctl run --wait as root; daemon commands for the nodebackup group, not others"
echo "value changed" | in_ct tee /srv/nbtest/n1/conf/2.conf >/dev/null
in_ct nodebackupctl run n1 --wait
in_ct useradd --groups nodebackup nbops  # a supplementary member
in_ct useradd nbother
in_ct runuser -u nbops -- nodebackupctl status >/dev/null || fail "group member refused"
rc=0
in_ct runuser -u nbother -- nodebackupctl status >/dev/null 2>&1 || rc=$?
[[ $rc == 3 ]] || fail "a user outside the group got exit $rc, not 3"
echo "nbops (group nodebackup): allowed; nbother: exit $rc"

say "watchdog: a stopped (hung) daemon is killed and restarted"
in_ct mkdir -p /run/systemd/system/nodebackupd.service.d
in_ct tee /run/systemd/system/nodebackupd.service.d/watchdog.conf >/dev/null <<'EOF'
[Service]
WatchdogSec=2s
TimeoutAbortSec=1s
RestartSec=100ms
EOF
in_ct systemctl daemon-reload
in_ct systemctl restart nodebackupd
wait_for "nodebackupd active" 30 active
main_pid() { in_ct systemctl show -P MainPID nodebackupd; }
hung=$(main_pid)
in_ct kill -STOP "$hung"
restarted() { active && [[ $(main_pid) != "$hung" && $(main_pid) != 0 ]]; }
wait_for "a restart after the watchdog timeout" 30 restarted
in_ct journalctl -u nodebackupd -o cat --no-pager | grep -i "watchdog timeout" \
  || fail "no watchdog timeout in the journal"
in_ct rm -r /run/systemd/system/nodebackupd.service.d
in_ct systemctl daemon-reload
in_ct systemctl restart nodebackupd
wait_for "nodebackupd active" 30 active

say "systemctl stop: clean exit, hash store on disk"
in_ct systemctl stop nodebackupd
[[ $(in_ct systemctl show -P Result nodebackupd) == success ]] || fail "stop result"
[[ $(in_ct systemctl show -P ExecMainStatus nodebackupd) == 0 ]] || fail "exit status"
in_ct grep -q '"n1"' /var/lib/nodebackup/file_hashes.json || fail "no store snapshot with n1"
in_ct ls -l /var/lib/nodebackup/file_hashes.json
in_ct runuser -u nodebackup -- nodebackupctl snapshots n1

say "dpkg --purge: stops the daemon, leaves nothing"
in_ct systemctl start nodebackupd
wait_for "nodebackupd active" 30 active
in_ct dpkg --purge nodebackup
in_ct pgrep -x nodebackupd && fail "nodebackupd still runs after purge"
for path in /var/lib/nodebackup /etc/nodebackup /run/nodebackup /usr/sbin/nodebackupd \
  /lib/systemd/system/nodebackupd.service /etc/systemd/system/multi-user.target.wants/nodebackupd.service; do
  if in_ct test -e "$path"; then fail "$path is left after purge"; fi
done
in_ct dpkg -s nodebackup >/dev/null 2>&1 && fail "package still known to dpkg"

say "PASS ($((SECONDS - started))s)"
