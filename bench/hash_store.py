#!/usr/bin/env python3
"""bench/hash_store.py -- how long the daemon takes to load a large hash store, and what it holds.

Writes a file_hashes.json of N entries in the documented shape (DESIGN §4: one node, entries
with xxh3, size, mtime_ns, ctime_ns and inode, paths like a real tree's), then starts
nodebackupd on it several times and reports, per start:

  ready_s   from exec to READY=1 on a NOTIFY_SOCKET this script owns (the daemon loads the
            store before it tells systemd it is ready, so this is the load plus a fixed start)
  hwm_mib   the daemon's peak RSS (VmHWM) at that moment
  rss_mib   its RSS then, and B/entry = (rss - rss of an empty-store start) / N

The node's only path is an empty directory with a long interval, so no backup adds to either.

  bench/hash_store.py --nodebackupd build/nodebackupd --entries 1000000 --runs 3 --work DIR
"""
import argparse
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time


def write_store(path, entries, seed):
    rng = random.Random(seed)
    base_ns = 1_760_000_000_000_000_000
    with open(path, "w") as out:
        out.write('{"format":"nodebackup-hashes/1","written":"2026-12-02T00:00:00Z",'
                  '"nodes":{\n"bench":{')
        for i in range(entries):
            # 100 top directories, 100 below each, files below those: ~45-byte paths.
            path = "/srv/data/d%02d/s%02d/file_%07d.dat" % (i % 100, (i // 100) % 100, i)
            mtime = base_ns + rng.randrange(10**15)
            out.write('%s\n%s:{"xxh3":"%032x","size":%d,"mtime_ns":%d,"ctime_ns":%d,"inode":%d}'
                      % ("" if i == 0 else ",", json.dumps(path), rng.getrandbits(128),
                         rng.randrange(1 << 20), mtime, mtime + 1000, 1_000_000 + i))
        out.write("}}}\n")


def proc_kib(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError("no %s for pid %d" % (field, pid))


def start_once(nodebackupd, config, work, timeout):
    sock_path = os.path.join(work, "notify.sock")
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(sock_path)
    notify.settimeout(timeout)
    env = dict(os.environ, NOTIFY_SOCKET=sock_path)
    log = open(os.path.join(work, "daemon.log"), "ab")
    started = time.monotonic()
    proc = subprocess.Popen([nodebackupd, "--config", config, "--log-level", "warning"],
                            env=env, stdout=log, stderr=log)
    try:
        while True:
            message = notify.recv(4096).decode(errors="replace")
            if "READY=1" in message.split("\n"):
                break
        ready = time.monotonic() - started
        hwm = proc_kib(proc.pid, "VmHWM")
        rss = proc_kib(proc.pid, "VmRSS")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=timeout)
        notify.close()
        log.close()
    return ready, hwm, rss


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nodebackupd", default="build/nodebackupd")
    ap.add_argument("--entries", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()

    work = os.path.abspath(args.work)
    os.makedirs(os.path.join(work, "empty-node"), exist_ok=True)
    results = {}
    for label, entries in (("empty", 0), ("store", args.entries)):
        state = os.path.join(work, "state-" + label)
        os.makedirs(state, exist_ok=True)
        store = os.path.join(state, "file_hashes.json")
        if entries and not os.path.exists(store):
            print("[bench] writing %d entries to %s" % (entries, store), file=sys.stderr)
            write_store(store, entries, args.seed)
        config = os.path.join(work, "config-%s.json" % label)
        with open(config, "w") as f:
            json.dump({"repository": os.path.join(work, "repo-" + label),
                       "state_dir": state,
                       "control_socket": os.path.join(work, label + ".sock"),
                       "nodes": [{"id": "bench", "type": "local", "interval": "24h",
                                  "paths": [os.path.join(work, "empty-node")]}]}, f)
        runs = [start_once(args.nodebackupd, config, work, args.timeout)
                for _ in range(args.runs)]
        results[label] = runs

    med = lambda xs: statistics.median(xs)
    base_rss = med([r[2] for r in results["empty"]])
    size = os.path.getsize(os.path.join(work, "state-store", "file_hashes.json"))
    print("# Hash store load: %d entries, %.1f MB of JSON, %d starts, medians\n"
          % (args.entries, size / 1e6, args.runs))
    print("| store | ready s (min-max) | peak RSS MiB | RSS MiB | B/entry |")
    print("|---|---:|---:|---:|---:|")
    for label in ("empty", "store"):
        runs = results[label]
        ready = [r[0] for r in runs]
        rss = med([r[2] for r in runs])
        per = "" if label == "empty" else "%.0f" % ((rss - base_rss) * 1024 / args.entries)
        print("| %s | %.3f (%.3f-%.3f) | %.1f | %.1f | %s |"
              % (label, med(ready), min(ready), max(ready), med([r[1] for r in runs]) / 1024,
                 rss / 1024, per))


if __name__ == "__main__":
    main()
