#!/usr/bin/env python3
"""Generate a deterministic benchmark tree for nodebackup.

    gen_tree.py OUT_DIR [--files N] [--total-mb M] [--seed S] [--mtime EPOCH]

Layout: leaf directories of ~100 files each, two or three levels below OUT_DIR
(OUT_DIR/dAA/dBB/ and, for every fourth leaf, OUT_DIR/dAA/dBB/dCC/).

Sizes are skewed the way real trees are: ~99 % of the files are small
(0.5-8 KiB, log-skewed towards the low end, mean ~1.5 KiB) and ~1 % are large
files that hold the rest -- most -- of the volume.  If N small files alone
would exceed 40 % of the requested volume, they are scaled down.

Content is random (incompressible, no duplicates), produced by a seeded
random.Random, so the same arguments always give byte-identical trees.
Every file and directory gets an mtime in the past (default: a fixed epoch in
2023 plus a per-file nanosecond offset) so that no entry is "racy".

OUT_DIR must not exist or must be empty.  A summary is printed as one JSON
object on stdout.
"""

import argparse
import json
import math
import os
import random
import sys
import time

FILES_PER_DIR = 100
SMALL_MIN = 512
SMALL_MAX = 8192
SMALL_SKEW = 3.0          # size = MIN * (MAX/MIN) ** (u ** SKEW)
LARGE_FRACTION = 0.01
SMALL_SHARE_CAP = 0.40    # small files hold at most this share of the bytes
DEFAULT_MTIME = 1_700_000_000  # 2023-11-14T22:13:20Z


def plan_sizes(n, total_bytes, rnd):
    """Return a list of n sizes (bytes) summing to total_bytes (when possible)."""
    if n <= 0:
        return []
    n_large = max(1, round(n * LARGE_FRACTION)) if n >= 2 else 0
    n_small = n - n_large
    ratio = SMALL_MAX / SMALL_MIN
    small = [SMALL_MIN * ratio ** (rnd.random() ** SMALL_SKEW) for _ in range(n_small)]
    s_sum = sum(small)
    cap = SMALL_SHARE_CAP * total_bytes if n_large else total_bytes
    if s_sum > cap and s_sum > 0:
        k = cap / s_sum
        small = [x * k for x in small]
    small = [max(1, int(x)) for x in small]
    remainder = max(0, total_bytes - sum(small))
    large = []
    if n_large:
        # lognormal weights: a handful of files dominate, none is absurd
        w = [math.exp(rnd.gauss(0.0, 1.0)) for _ in range(n_large)]
        ws = sum(w)
        large = [max(1, int(remainder * x / ws)) for x in w]
        # put rounding slack on the first large file
        large[0] += max(0, remainder - sum(large))
    # positions of the large files: seeded random indices
    sizes = small + large
    order = list(range(n))
    rnd.shuffle(order)
    out = [0] * n
    for idx, sz in zip(order, sizes):
        out[idx] = sz
    return out


def leaf_dirs(n_files):
    n_leaf = max(1, math.ceil(n_files / FILES_PER_DIR))
    fan = max(1, math.ceil(math.sqrt(n_leaf)))
    dirs = []
    for j in range(n_leaf):
        a, b = divmod(j, fan)
        if j % 4 == 3:
            dirs.append(os.path.join(f"d{a:03d}", f"d{b:03d}", f"d{j % 7:03d}"))
        else:
            dirs.append(os.path.join(f"d{a:03d}", f"d{b:03d}"))
    return dirs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--files", type=int, default=100000)
    ap.add_argument("--total-mb", type=float, default=400.0,
                    help="total content size in MiB (default 400)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mtime", type=int, default=DEFAULT_MTIME,
                    help="base mtime, seconds since the epoch (default %(default)s)")
    args = ap.parse_args()

    if args.files < 1:
        ap.error("--files must be >= 1")
    if args.mtime > time.time() - 3600:
        ap.error("--mtime must be at least one hour in the past")
    out = os.path.abspath(args.out_dir)
    if os.path.exists(out) and os.listdir(out):
        ap.error(f"{out} exists and is not empty")
    os.makedirs(out, exist_ok=True)

    t0 = time.monotonic()
    total_bytes = int(args.total_mb * 1024 * 1024)
    plan_rnd = random.Random(f"plan:{args.seed}")
    data_rnd = random.Random(f"data:{args.seed}")
    sizes = plan_sizes(args.files, total_bytes, plan_rnd)
    dirs = leaf_dirs(args.files)

    base_ns = args.mtime * 1_000_000_000
    made = set()
    written = 0
    largest = 0
    for i, size in enumerate(sizes):
        d = os.path.join(out, dirs[i // FILES_PER_DIR])
        if d not in made:
            os.makedirs(d, exist_ok=True)
            made.add(d)
        p = os.path.join(d, f"f{i:07d}.dat")
        with open(p, "wb") as f:
            f.write(data_rnd.randbytes(size))
        # deterministic mtime within one hour after the base, with ns precision
        m = base_ns + plan_rnd.randrange(3600 * 1_000_000_000)
        os.utime(p, ns=(m, m))
        written += size
        largest = max(largest, size)

    # directories last (creating files bumps their mtime), deepest first
    all_dirs = set()
    for d in made:
        rel = os.path.relpath(d, out)
        parts = rel.split(os.sep)
        for k in range(1, len(parts) + 1):
            all_dirs.add(os.path.join(out, *parts[:k]))
    for d in sorted(all_dirs, key=lambda x: -x.count(os.sep)) + [out]:
        os.utime(d, ns=(base_ns, base_ns))

    small_limit = SMALL_MAX
    n_large = sum(1 for s in sizes if s > small_limit)
    large_bytes = sum(s for s in sizes if s > small_limit)
    summary = {
        "dir": out, "files": len(sizes), "dirs": len(all_dirs) + 1,
        "bytes": written, "largest": largest,
        "large_files": n_large, "large_bytes": large_bytes,
        "seed": args.seed, "mtime": args.mtime,
        "seconds": round(time.monotonic() - t0, 2),
    }
    json.dump(summary, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
