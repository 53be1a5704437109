#!/usr/bin/env python3
"""Mutate a benchmark tree between backup runs (used by local.sh; not timed).

    mutate.py TREE --mode change|touch --pct P --seed S --stamp K

Picks round(P % of the regular files) (at least one) with random.Random(seed)
from the sorted file list, then

  change: rewrites each picked file in place (same inode, same size) with new
          random content, then sets its mtime to a new past time;
  touch:  leaves the content alone and only sets the mtime to a new past time
          (the ctime moves too, as with touch(1)).

The new mtime is BASE + K days + a per-file nanosecond offset, so a given
stamp K is different from the generator's mtimes (K >= 1) and from every other
stamp, and is always in the past (BASE is in 2023).  Prints one JSON object:
{"mode", "files", "bytes", "seed", "stamp"} where bytes is the content size of
the picked files (what an incremental tool has to read).
"""

import argparse
import json
import os
import random
import sys
import time

DEFAULT_BASE = 1_700_000_000


def list_files(tree):
    out = []
    for root, dirs, files in os.walk(tree):
        dirs.sort()
        for name in files:
            out.append(os.path.join(root, name))
    out.sort()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tree")
    ap.add_argument("--mode", choices=("change", "touch"), required=True)
    ap.add_argument("--pct", type=float, required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--stamp", type=int, required=True, help="mutation number, >= 1")
    ap.add_argument("--base", type=int, default=DEFAULT_BASE)
    args = ap.parse_args()
    if args.stamp < 1:
        ap.error("--stamp must be >= 1")

    files = list_files(args.tree)
    if not files:
        sys.exit("mutate.py: no files under " + args.tree)
    rnd = random.Random(f"{args.mode}:{args.seed}:{args.stamp}")
    k = min(len(files), max(1, round(len(files) * args.pct / 100.0)))
    picked = rnd.sample(files, k)
    when_s = args.base + args.stamp * 86400
    if when_s > time.time() - 3600:
        sys.exit("mutate.py: stamp too large, the mtime would not be in the past")

    total = 0
    for p in picked:
        size = os.lstat(p).st_size
        if args.mode == "change":
            with open(p, "r+b") as f:
                new = rnd.randbytes(size)
                if 0 < size <= 16:           # tiny file: make sure it differs
                    old = f.read()
                    while new == old:
                        new = rnd.randbytes(size)
                    f.seek(0)
                f.write(new)
                f.truncate()
        m = when_s * 1_000_000_000 + rnd.randrange(3600 * 1_000_000_000)
        os.utime(p, ns=(m, m), follow_symlinks=False)
        total += size

    json.dump({"mode": args.mode, "files": k, "bytes": total,
               "seed": args.seed, "stamp": args.stamp}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
