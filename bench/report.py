#!/usr/bin/env python3
"""Turn bench/local.sh's or bench/remote.sh's raw.jsonl into results.json and results.md.

    report.py OUT/raw.jsonl [--out OUT] [--bench local|remote]

Which harness wrote the file is read from its meta record ("bench", absent =
local); --bench overrides it.  Prints the markdown to stdout.  Can be re-run on
an existing raw.jsonl.
"""

import argparse
import json
import os
import statistics
import sys

# What differs between the two harnesses.  TOOLS, LABEL and SCENARIOS are set from
# the profile of the raw file being reported (see use_profile).
PROFILES = {
    "local": {
        "title": "nodebackup local benchmark",
        "node": "01_node",
        "tools": ["nodebackup", "nodebackupd", "rsync", "restic", "borg", "stat-floor",
                  "copy-floor"],
        "label": {
            "nodebackup": "nodebackup",
            "nodebackupd": "nodebackupd (daemon: `nodebackupctl run --wait`)",
            "rsync": "rsync -a",
            "restic": "restic backup",
            "borg": "borg create",
            "stat-floor": "find -printf (stat floor)",
            "copy-floor": "cp -a (copy floor)",
        },
        "scenarios": ["initial", "nochange", "change", "touch"],
        # tool run in the initial scenario only, and why
        "once": "copy-floor",
        "once_reason": "not run: cp -a is a full copy, not meaningful as a re-run (see the initial scenario)",
        "once_note": "¹ cp -a is measured in the initial scenario only: a re-run of `cp -a` is just another "
                     "full copy, so for re-runs the stat floor (`find -printf '%s %T@ %C@ %i %p\\n'`) is "
                     "the floor to compare with.",
        # extra ratio column: (tool, scenario) -> "× tool" in that scenario only
        "ratio_also": ("stat-floor", "nochange"),  # issue 13: the daemon's no-change vs find
    },
    "remote": {
        "title": "nodebackup remote benchmark (SSH on loopback)",
        "node": "02_node",
        "tools": ["nodebackup", "rsync", "sftp-get", "stat-floor"],
        "label": {
            "nodebackup": "nodebackup (TRANSPORT)",   # set from the meta record
            "rsync": "rsync -a -e ssh",
            "sftp-get": "sftp get -r",
            "stat-floor": "find -printf (local stat floor)",
        },
        "scenarios": ["initial", "nochange", "touch"],
        "once": "sftp-get",
        "once_reason": "not run: sftp get -r has no incremental mode; a re-run is another full copy "
                       "(see the initial scenario)",
        "once_note": "¹ `sftp get -r` is measured in the initial scenario only (into a fresh "
                     "destination each time): it has no incremental mode, so a re-run would be just "
                     "another full copy. It is the reference point of the original issue "
                     "(\"`sftp get -r` is 8× slower than `rsync -e ssh` on 100k small files\").",
        "ratio_also": ("sftp-get", "initial"),
    },
}
TOOLS = LABEL = SCENARIOS = PROFILE = None


def use_profile(name, meta):
    global TOOLS, LABEL, SCENARIOS, PROFILE
    PROFILE = PROFILES[name]
    TOOLS, LABEL, SCENARIOS = PROFILE["tools"], dict(PROFILE["label"]), PROFILE["scenarios"]
    if name == "remote":
        LABEL["nodebackup"] = f"nodebackup ({meta.get('transport') or 'sftp'})"
NB_COUNTS = ["scanned", "unchanged", "touched", "changed", "new", "deleted",
             "skipped", "errors", "bytes_read", "bytes_stored"]


def fmt_bytes(n):
    if n is None:
        return "n/a"
    n = float(n)
    sign = "-" if n < 0 else ""
    n = abs(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{sign}{n:.0f} {unit}" if unit == "B" else f"{sign}{n:.1f} {unit}"
        n /= 1024


def fmt_s(x):
    if x is None:
        return "n/a"
    if x < 0.1:
        return f"{x:.4f}"
    if x < 10:
        return f"{x:.3f}"
    return f"{x:.2f}"


def load(path):
    recs = []
    with open(path) as f:
        for ln, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                recs.append(json.loads(line))
            except ValueError as e:
                sys.exit(f"report.py: {path}:{ln}: bad JSON: {e}")
    return recs


def scen_title(s, meta):
    letter = "abcd"[SCENARIOS.index(s)]
    return letter + ". " + {
        "initial": "initial (empty destination)",
        "nochange": "no-change re-run",
        "change": f"{meta.get('change_pct', 1):g} % of files changed",
        "touch": f"{meta.get('touch_pct', 5):g} % of files touched (mtime only)",
    }[s]


def expected_nb(scen, tree, mut):
    """Counts a correct nodebackup run must report (DESIGN §3), given the mutation."""
    n, total = tree["files"], tree["bytes"]
    k, b = mut.get("files", 0), mut.get("bytes", 0)
    if scen == "initial":
        return {"scanned": n, "unchanged": 0, "touched": 0, "changed": 0, "new": n,
                "deleted": 0, "bytes_read": total, "bytes_stored": total}
    if scen == "nochange":
        return {"scanned": n, "unchanged": n, "touched": 0, "changed": 0, "new": 0,
                "deleted": 0, "bytes_read": 0, "bytes_stored": 0}
    if scen == "change":
        return {"scanned": n, "unchanged": n - k, "touched": 0, "changed": k, "new": 0,
                "deleted": 0, "bytes_read": b, "bytes_stored": b}
    if scen == "touch":
        return {"scanned": n, "unchanged": n - k, "touched": k, "changed": 0, "new": 0,
                "deleted": 0, "bytes_read": b, "bytes_stored": 0}
    return {}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("raw")
    ap.add_argument("--out", default=None)
    ap.add_argument("--bench", choices=sorted(PROFILES), default=None,
                    help="which harness wrote RAW (default: its meta record, else local)")
    args = ap.parse_args()
    out = args.out or os.path.dirname(os.path.abspath(args.raw))

    recs = load(args.raw)
    meta = next((r for r in recs if r["kind"] == "meta"), {})
    use_profile(args.bench or meta.get("bench") or "local", meta)
    tree = next((r["tree"] for r in recs if r["kind"] == "tree"), {})
    end = next((r for r in recs if r["kind"] == "end"), None)
    tools = {r["tool"]: r for r in recs if r["kind"] == "tool"}
    runs = [r for r in recs if r["kind"] == "run"]
    muts = {(r["scenario"], r["iter"]): r["mutation"] for r in recs if r["kind"] == "mutation"}

    results = {"meta": meta, "tree": tree, "finished": end and end.get("finished"),
               "complete": end is not None, "tools": tools, "scenarios": {},
               "nodebackup_runs": []}

    for s in SCENARIOS:
        srun = [r for r in runs if r["scenario"] == s]
        smuts = [muts[k] for k in sorted(muts) if k[0] == s]
        entry = {"title": scen_title(s, meta), "mutations": smuts, "tools": {}}
        for t in TOOLS:
            tr = [r for r in srun if r["tool"] == t]
            te = {"available": bool(tools.get(t, {}).get("available")),
                  "reason": tools.get(t, {}).get("reason") or None}
            if s != "initial" and t == PROFILE["once"]:
                te["available"] = False
                te["reason"] = PROFILE["once_reason"]
            if tr:
                ok = [r for r in tr if r["rc"] == 0]
                secs = [r["ns"] / 1e9 for r in tr]
                ok_secs = [r["ns"] / 1e9 for r in ok]
                growth = [r["dest_after"] - r["dest_before"] for r in tr
                          if r.get("dest_after") is not None and r.get("dest_before") is not None]
                rss = [r["maxrss_kb"] for r in tr if r.get("maxrss_kb") is not None]
                te.update({
                    "seconds": secs,
                    "rc": [r["rc"] for r in tr],
                    "failed_runs": len(tr) - len(ok),
                    "median": statistics.median(ok_secs) if ok_secs else None,
                    "min": min(ok_secs) if ok_secs else None,
                    "max": max(ok_secs) if ok_secs else None,
                    "growth_bytes": growth,
                    "growth_median": statistics.median(growth) if growth else None,
                    "dest_bytes_final": tr[-1].get("dest_after"),
                    "maxrss_kb": rss,
                    "maxrss_kb_median": statistics.median(rss) if rss else None,
                    "logs": [r["log"] for r in tr],
                })
            entry["tools"][t] = te
        rs = entry["tools"].get("rsync", {}).get("median")
        for t, te in entry["tools"].items():
            m = te.get("median")
            te["ratio_to_rsync"] = (m / rs) if (m is not None and rs) else None
        if PROFILE["ratio_also"] and PROFILE["ratio_also"][1] == s:
            other = PROFILE["ratio_also"][0]
            om = entry["tools"].get(other, {}).get("median")
            for t, te in entry["tools"].items():
                m = te.get("median")
                te["ratio_to_" + other.replace("-", "_")] = (m / om) if (m is not None and om) else None
        results["scenarios"][s] = entry

        for r in srun:
            if r["tool"] != "nodebackup":
                continue
            after, before = r.get("nb_after"), r.get("nb_before")
            last = after.get("last") if isinstance(after, dict) else None
            fresh = (isinstance(after, dict) and
                     after.get("count", 0) > (before.get("count", 0) if isinstance(before, dict) else 0))
            mut = muts.get((s, r["iter"]), {})
            exp = expected_nb(s, tree, mut) if tree else {}
            growth = (r["dest_after"] - r["dest_before"]
                      if r.get("dest_after") is not None and r.get("dest_before") is not None else None)
            problems = []
            if r["rc"] != 0:
                problems.append(f"exit {r['rc']}")
            if last is None:
                problems.append("no snapshot listed")
            elif not fresh:
                problems.append("no new snapshot")
            else:
                for k, v in exp.items():
                    if last.get(k) != v:
                        problems.append(f"{k}={last.get(k)} (expected {v})")
                if last.get("partial"):
                    problems.append("partial")
            if s == "nochange" and growth is not None and growth > 4096:
                problems.append(f"no-change growth {growth} B > 4 KiB (DESIGN §5)")
            results["nodebackup_runs"].append({
                "scenario": s, "iter": r["iter"], "seconds": r["ns"] / 1e9, "rc": r["rc"],
                "snapshot": last if fresh else None, "repo_growth": growth,
                "expected": exp, "mutation": mut, "problems": problems})

    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    md = render(results)
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(md)
    sys.stdout.write(md)


def render(res):
    meta, tree = res["meta"], res["tree"]
    remote = PROFILE is PROFILES["remote"]
    also = PROFILE["ratio_also"]
    L = []
    L.append("# " + PROFILE["title"])
    L.append("")
    if not res["complete"]:
        L.append("**INCOMPLETE RUN** (the harness stopped before the end; partial data).")
        L.append("")
    if tree:
        share = 100.0 * tree.get("large_bytes", 0) / tree["bytes"] if tree.get("bytes") else 0
        L.append(f"- Tree: {tree['files']} files in {tree['dirs']} directories, "
                 f"{fmt_bytes(tree['bytes'])} of random (incompressible) content; "
                 f"{tree.get('large_files')} files > 8 KiB hold {share:.0f} % of the bytes; "
                 f"seed {tree.get('seed')}; all mtimes in the past (not racy).")
    if remote:
        L.append(f"- Remote node `{PROFILE['node']}`: the tree is pulled over SSH from an sshd on "
                 f"{meta.get('ssh_host')}:{meta.get('ssh_port')} (loopback only, started for the run "
                 f"by `scripts/demo-sshd.sh`, user {meta.get('ssh_user')}, throw-away keys). Client "
                 "and server share this machine: every time includes the server side (sshd "
                 "and what it runs: sftp-server, rsync, find/tar) and SSH encryption, but no network latency. "
                 + ("nodebackup uses `\"transport\": \"exec\"` (one `find -printf` stream for the "
                    "walk: quick check on size, ns mtime, ctime and inode; `tar` streams for the "
                    "reads; DESIGN §3)." if meta.get("transport") == "exec" else
                    "nodebackup uses `\"transport\": \"sftp\"` (SFTP v3: quick check on size and "
                    "whole-second mtime, DESIGN §3)."))
    L.append(f"- {meta.get('runs')} run(s) per scenario and tool; in a re-run scenario each "
             "iteration mutates the tree once, then runs every tool once on it (order rotated "
             "per iteration). Initial: every destination is emptied (untimed) before each iteration.")
    L.append("- Warm page cache for all tools (nothing is dropped; the tree is read once before "
             "the first run). `sync` (untimed) before each timed command. Wall time measured by "
             "the harness (`date +%s%N`); resets, mutations and size measurements are not timed.")
    L.append(f"- Host: {meta.get('host')}, {meta.get('cpus')} CPUs, {meta.get('mem_mib')} MiB RAM, "
             f"work dir {meta.get('work')} on {meta.get('fstype')}. Started {meta.get('started')}, "
             f"finished {res.get('finished') or 'n/a'}.")
    vers = [f"{LABEL[t]}: {res['tools'][t]['version']}" for t in TOOLS
            if t in res["tools"] and res["tools"][t].get("available") and res["tools"][t].get("version")]
    if remote and meta.get("ssh_version"):
        vers.append(f"ssh/sshd: {meta['ssh_version']}")
    if vers:
        L.append("- Versions: " + "; ".join(vers) + ".")
    if not remote:
        extra = meta.get("restic_extra") or ""
        L.append("- restic runs " + ("with `" + extra + "`." if extra else
                                     "without `--no-scan` (not supported by this restic version)."))
    L.append("")
    L.append("## Wall time (seconds) and destination growth")
    L.append("")
    L.append("`× rsync` = tool median / rsync median in the same scenario. "
             + (f"`× {also[0].split('-')[0]}` = tool median / {LABEL[also[0]]} median, "
                f"{also[1]} scenario only. " if also else "")
             + "`growth` = increase of the sum of regular-file sizes in the tool's destination "
             "(repository) during one run, median over runs.")
    L.append("")
    also_col = f" × {also[0].split('-')[0]} |" if also else ""
    L.append(f"| scenario | tool | median s | min s | max s | × rsync |{also_col} growth | "
             "read / stored² | max RSS |")
    L.append("|---|---|---:|---:|---:|---:|" + ("---:|" if also else "") + "---:|---:|---:|")
    blanks = " |" * (8 if also else 7)
    notes = []
    legend = []
    for s in SCENARIOS:
        e = res["scenarios"].get(s)
        if not e:
            continue
        ms = [m for m in e["mutations"] if m.get("mode") != "none"]
        if ms:
            legend.append(f"- {e['title']}: per run " + ", ".join(
                f"{m['files']} files / {fmt_bytes(m['bytes'])}" for m in ms) + ".")
        else:
            legend.append(f"- {e['title']}.")
        first = True
        nbs = [r["snapshot"] for r in res["nodebackup_runs"]
               if r["scenario"] == s and r.get("snapshot")]
        for t in TOOLS:
            te = e["tools"].get(t, {})
            title = e["title"].split(" (")[0] if first else ""
            if "seconds" not in te:
                if s != "initial" and t == PROFILE["once"]:
                    if res["tools"].get(t, {}).get("available"):
                        L.append(f"| {title} | {LABEL[t]} | n/a¹{blanks}")
                        first = False
                    continue
                reason = te.get("reason") or "not run"
                if reason.startswith("not selected"):
                    continue
                L.append(f"| {title} | {LABEL[t]} | n/a: {reason}{blanks}")
                first = False
                continue
            first = False
            med = fmt_s(te["median"])
            if te["failed_runs"]:
                med += f" ⚠ {te['failed_runs']} failed"
                notes.append(f"{LABEL[t]} / {s}: {te['failed_runs']} run(s) failed "
                             f"(exit codes {te['rc']}); logs: " + ", ".join(
                                 l for l, rc in zip(te["logs"], te["rc"]) if rc != 0))
            ratio = f"{te['ratio_to_rsync']:.2f}" if te.get("ratio_to_rsync") is not None else "n/a"
            if also:
                key = "ratio_to_" + also[0].replace("-", "_")
                if s != also[1]:
                    ratio += " | –"
                else:
                    ratio += f" | {te[key]:.2f}" if te.get(key) is not None else " | n/a"
            growth = fmt_bytes(te["growth_median"]) if te.get("growth_median") is not None else "–"
            rss = (fmt_bytes(te["maxrss_kb_median"] * 1024)
                   if te.get("maxrss_kb_median") is not None else "n/a")
            rs = "–"
            if t == "nodebackup":
                br = [x.get("bytes_read") for x in nbs if x.get("bytes_read") is not None]
                bs = [x.get("bytes_stored") for x in nbs if x.get("bytes_stored") is not None]
                rs = (f"{fmt_bytes(statistics.median(br)) if br else 'n/a'} / "
                      f"{fmt_bytes(statistics.median(bs)) if bs else 'n/a'}")
            L.append(f"| {title} | {LABEL[t]} | {med} | {fmt_s(te['min'])} | {fmt_s(te['max'])} "
                     f"| {ratio} | {growth} | {rs} | {rss} |")
    L.append("")
    L.append("Scenarios:")
    L.append("")
    L.extend(legend)
    L.append("")
    L.append(PROFILE["once_note"])
    L.append("")
    L.append("² nodebackup only: median `bytes_read` / `bytes_stored` of its snapshot records "
             "(content bytes read from the tree / newly stored in the repository).")
    if notes:
        L.append("")
        L.append("**Failures:**")
        L.append("")
        for n in notes:
            L.append(f"- {n}")
    L.append("")
    L.append(f"## nodebackup: counts of each run (`nodebackupctl snapshots {PROFILE['node']} --json`, "
             "last element)")
    L.append("")
    nbr = res["nodebackup_runs"]
    if not nbr:
        r = res["tools"].get("nodebackup", {})
        L.append(f"n/a — {r.get('reason') or 'nodebackup was not run'}.")
    else:
        L.append("`check` compares the counts with what DESIGN §3 requires for the mutation "
                 "applied (and §5's ≤ 4 KiB growth for a no-change run).")
        L.append("")
        L.append("| scenario | run | s | scanned | unchanged | touched | changed | new | "
                 "bytes_read | bytes_stored | repo growth | check |")
        L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for r in nbr:
            sn = r["snapshot"] or {}
            def c(k):
                v = sn.get(k)
                return "n/a" if v is None else str(v)
            def cb(k):
                v = sn.get(k)
                return "n/a" if v is None else fmt_bytes(v)
            check = "ok" if not r["problems"] else "; ".join(r["problems"])
            L.append(f"| {r['scenario']} | {r['iter']} | {fmt_s(r['seconds'])} | {c('scanned')} | "
                     f"{c('unchanged')} | {c('touched')} | {c('changed')} | {c('new')} | "
                     f"{cb('bytes_read')} | {cb('bytes_stored')} | {fmt_bytes(r['repo_growth'])} | "
                     f"{check} |")
    L.append("")
    L.append("## Caveats")
    L.append("")
    if remote:
        L.append("- Loopback, one machine, warm cache: this measures protocol round trips, CPU "
                 "(SSH encryption, both ends) and metadata cost, not network bandwidth or latency; "
                 "on a real link every round trip costs more, which favours fewer, larger requests. "
                 "Other load on the machine adds noise; look at min/max.")
        L.append("- max RSS is the local client process only (nodebackupd, the rsync client, the "
                 "sftp client); the server-side sshd / sftp-server / rsync are not counted.")
        L.append("- `sftp get -r` does not keep mtimes or modes (no `-p`) and has no incremental "
                 "mode; rsync and nodebackup keep metadata. rsync does not fsync; nodebackup syncs "
                 "its repository.")
        L.append("- The touch scenario: rsync's quick check sees a new mtime and runs its delta "
                 "algorithm on each touched file (reading it on both ends); nodebackup reads each "
                 "touched file from the node, finds the same hash and stores nothing.")
    else:
        L.append("- Warm cache, one machine, local disk: this measures CPU and metadata cost, not "
                 "disk or network throughput. Other load on the machine adds noise; look at min/max.")
        L.append("- nodebackup and rsync store files uncompressed; restic compresses (repo v2), "
                 "encrypts and chunks; borg (`-e none`) chunks and lz4-compresses. On random content "
                 "compression gains nothing but still costs CPU. Growth numbers are therefore "
                 "comparable only roughly (restic/borg also add indexes and metadata).")
        L.append("- restic, borg and nodebackup sync their repositories; rsync and cp do not fsync.")
    L.append("")
    return "\n".join(L)


if __name__ == "__main__":
    main()
