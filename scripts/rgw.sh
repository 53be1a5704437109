#!/usr/bin/env bash
# A throw-away single-host Ceph cluster with an S3 gateway, for the S3 tests and bench/s3.sh:
# one monitor, one OSD on memstore (RAM, nothing on disk to clean), pools of size 1, and
# radosgw's beast frontend, every daemon bound to 127.0.0.1 only. Debian 12's ceph 16.2.
#   rgw.sh start DIR   starts it (DIR must not hold a running cluster), prints the env file
#   rgw.sh env DIR     prints NB_RGW_ENDPOINT, NB_RGW_REGION, NB_RGW_ACCESS_KEY, NB_RGW_SECRET_KEY
#   rgw.sh stop DIR    stops its daemons by their PIDs and removes DIR
#   rgw.sh start-gateway DIR NAME   a second radosgw on the same cluster, its own port; prints
#                                   its endpoint (a test stops it without disturbing others)
#   rgw.sh stop-gateway DIR NAME    stops that gateway by its PID
# Start-up takes about 10-15 s on the 2-core CI machine (the monitor's first election and the
# OSD's boot dominate): start it once for every S3 test, not once per test.
set -euo pipefail

usage() { echo "usage: $0 start|stop|env DIR | start-gateway|stop-gateway DIR NAME" >&2; exit 2; }
(($# == 2 || $# == 3)) || usage
action=$1
dir=$(realpath -m "$2")
conf=$dir/ceph.conf

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Runs a daemon in the foreground of its own session, so it outlives this script and a test
# runner's process group, and records its PID for stop.
spawn() {
  local name=$1
  shift
  setsid "$@" -f -c "$conf" >>"$dir/log/$name.out" 2>&1 </dev/null &
  echo $! >"$dir/run/$name.pid"
}

# Polls `check` until it succeeds, for at most `seconds`.
wait_for() {
  local what=$1 seconds=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      echo "rgw.sh: $what did not come up in ${seconds}s (logs in $dir/log)" >&2
      return 1
    fi
    sleep 0.2
  done
}

s3_answers() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1/")
  [[ $code == 200 ]]
}

# A gateway named NAME ("rgw" is the main one) on `port`.
start_gateway() {
  local name=$1 port=$2
  spawn "$name" radosgw -n client.rgw --rgw-frontends "beast endpoint=127.0.0.1:$port" \
    --admin-socket "$dir/run/$name.asok" --log-file "$dir/log/$name.log"
  wait_for "the S3 API" 60 s3_answers "http://127.0.0.1:$port"
}

stop_pid() {
  local file=$1 pid
  [[ -f $file ]] || return 0
  pid=$(cat "$file")
  if kill -TERM "$pid" 2>/dev/null; then
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

start() {
  if [[ -f $dir/run/mon.pid ]] && kill -0 "$(cat "$dir/run/mon.pid")" 2>/dev/null; then
    echo "rgw.sh: a cluster already runs in $dir" >&2
    exit 1
  fi
  rm -rf "$dir"
  mkdir -p "$dir"/{mon,osd,run,log,rgw}
  chmod 700 "$dir"
  local fsid mon_port rgw_port access secret
  fsid=$(python3 -c 'import uuid; print(uuid.uuid4())')
  mon_port=$(free_port)
  rgw_port=$(free_port)
  access=NB$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
  secret=$(head -c 30 /dev/urandom | base64 | tr -d '/+=' | head -c 40)
  cat >"$conf" <<CONF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$mon_port]
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
ms bind ipv6 = false
keyring = $dir/keyring
auth allow insecure global id reclaim = false
run dir = $dir/run
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
crash dir = $dir/log
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
mon data avail warn = 1
mon data avail crit = 0
[mon]
mon data = $dir/mon
[osd]
osd data = $dir/osd
osd objectstore = memstore
memstore device bytes = 4294967296
osd max object name len = 460
osd max object namespace len = 64
[client.rgw]
rgw data = $dir/rgw
rgw dns name = 127.0.0.1
rgw enable usage log = false
CONF
  # cephx, as every real cluster runs: one keyring holds each daemon's key, imported into
  # the monitor's database by mkfs. (radosgw 16.2 cannot reach a monitor with auth "none".)
  local k=$dir/keyring
  ceph-authtool --create-keyring "$k" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool "$k" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' \
    --cap mgr 'allow *' >/dev/null
  ceph-authtool "$k" --gen-key -n osd.0 --cap mon 'allow profile osd' --cap osd 'allow *' \
    --cap mgr 'allow profile osd' >/dev/null
  ceph-authtool "$k" --gen-key -n client.rgw --cap mon 'allow rw' --cap osd 'allow rwx' \
    --cap mgr 'allow rw' >/dev/null
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$dir/monmap" >/dev/null
  ceph-mon --mkfs -i a --monmap "$dir/monmap" --keyring "$k" -c "$conf" >"$dir/log/mkfs.out" 2>&1
  spawn mon ceph-mon -i a
  wait_for "the monitor" 60 ceph -c "$conf" --connect-timeout 2 mon stat

  local osd_uuid
  osd_uuid=$(python3 -c 'import uuid; print(uuid.uuid4())')
  ceph -c "$conf" osd new "$osd_uuid" 0 >/dev/null
  ceph-osd -i 0 --mkfs --osd-uuid "$osd_uuid" -c "$conf" >>"$dir/log/mkfs.out" 2>&1
  spawn osd ceph-osd -i 0
  wait_for "the OSD" 60 bash -c "ceph -c '$conf' osd stat -f json | grep -q '\"num_up_osds\":1'"

  cat >"$dir/env" <<ENV
NB_RGW_ENDPOINT=http://127.0.0.1:$rgw_port
NB_RGW_REGION=default
NB_RGW_ACCESS_KEY=$access
NB_RGW_SECRET_KEY=$secret
ENV
  radosgw-admin -c "$conf" user create --uid nbtest --display-name "nodebackup tests" \
    --access-key "$access" --secret-key "$secret" >/dev/null 2>>"$dir/log/mkfs.out"
  start_gateway rgw "$rgw_port"
  echo "$dir/env"
}

stop() {
  [[ -d $dir ]] || return 0
  for pid in "$dir"/run/rgw*.pid; do stop_pid "$pid"; done
  stop_pid "$dir/run/osd.pid"
  stop_pid "$dir/run/mon.pid"
  rm -rf "$dir"
}

case $action in
  start) start ;;
  stop) stop ;;
  env) cat "$dir/env" ;;
  start-gateway)
    port=$(free_port)
    start_gateway "rgw-$3" "$port"
    echo "http://127.0.0.1:$port"
    ;;
  stop-gateway) stop_pid "$dir/run/rgw-$3.pid" ;;
  *) usage ;;
esac
