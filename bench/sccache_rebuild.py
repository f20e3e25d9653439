#!/usr/bin/env python3
"""Stock cargo pipelining against -Z header-pipelining, both behind the pinned sccache
(`RUSTC_WRAPPER`, bench/sccache.py), dev profile without incremental (sccache does not cache
incremental compiles).

Per run and variant, interleaved, each variant with its own target directory and its own sccache
cache:
- plain: a clean build without sccache, for reference: what a miss costs beyond it is sccache's
  hashing and storing, and the pipelining lost because sccache hands rustc's output (the header's
  notification among it) to cargo only when the compile has ended;
- cold: empty cache, clean target directory: every library a miss;
- warm: clean target directory again, the cache from the cold build: every library a hit, the
  binaries and tests compiled by rustc (sccache never caches what links);
- edit: the private body edit, then a build: stock recompiles the dependents of the edited crate
  (misses: their `--extern` inputs changed), headers compiles the edited crate and relinks;
- revert: the edit undone: the edited crate is a hit for both; stock's dependents are hits too.
Reports median wall times, the ratio stock/headers, and sccache's hits and misses per phase.

    sccache_rebuild.py WORKSPACE FILE FIND REPLACE [--runs N] [--label TEXT] [--out REPORT.md]
"""

import argparse
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

import sccache
from rebuild import what_ran
from timing import run, target_dir

VARIANTS = {"stock": [], "headers": ["-Zheader-pipelining"]}
PHASES = ["plain", "cold", "warm", "edit", "revert"]
HEADER = ("| workload | phase | runs | stock (median) | headers (median) | stock/headers | "
          "stock hits/misses | headers hits/misses | headers compiles |\n"
          "|---|---|---|---|---|---|---|---|---|\n")


def build(ws: Path, variant: str, server: sccache.Local | None) -> tuple[float, list[str], list[str]]:
    if server:
        env = {**server.env, "CARGO_TARGET_DIR": str(target_dir(ws, f"sccache-{variant}"))}
    else:
        env = {k: v for k, v in os.environ.items() if k != "RUSTC_WRAPPER"}
        env.update(CARGO_INCREMENTAL="0", CARGO_TARGET_DIR=str(target_dir(ws, f"plain-{variant}")))
    cmd = ["cargo", "+headers", "build", "-v", *VARIANTS[variant]]
    try:
        usage = run(cmd, ws, env, capture=True)
    except Exception as e:
        sys.exit(f"{' '.join(cmd)} failed:\n{getattr(e, 'stderr', '')[-3000:]}")
    return (usage.wall, *what_ran(usage.stderr))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workspace", type=Path)
    ap.add_argument("file")
    ap.add_argument("find")
    ap.add_argument("replace")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--label", default=None)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    ws = args.workspace
    path = ws / args.file
    original = path.read_text()
    if original.count(args.find) != 1:
        sys.exit(f"{args.find!r} must occur once in {path}")
    edited = original.replace(args.find, args.replace)
    bin_dir = sccache.install()
    work = ws.parent / f"{ws.name}-sccache"
    shutil.rmtree(work, ignore_errors=True)
    servers = {v: sccache.Local(work / v, bin_dir) for v in VARIANTS}
    times = {(v, p): [] for v in VARIANTS for p in PHASES}
    counts, compiled = {}, {}
    for s in servers.values():
        s.start()
    try:
        for i in range(args.runs):
            order = list(VARIANTS) if i % 2 == 0 else list(reversed(VARIANTS))
            for phase in PHASES:
                if phase == "edit":
                    time.sleep(1.1)
                    path.write_text(edited)
                elif phase == "revert":
                    time.sleep(1.1)
                    path.write_text(original)
                for v in order:
                    if phase == "plain":
                        shutil.rmtree(target_dir(ws, f"plain-{v}"), ignore_errors=True)
                        wall, crates, relinked = build(ws, v, None)
                        times[(v, phase)].append(wall)
                        counts[(v, phase)] = ("-", "-")
                        compiled[(v, phase)] = (crates, relinked)
                        print(f"[RUN] {i + 1} {v} {phase}: {wall:.2f} s", flush=True)
                        continue
                    server = servers[v]
                    if phase in ("cold", "warm"):
                        shutil.rmtree(target_dir(ws, f"sccache-{v}"), ignore_errors=True)
                    if phase == "cold":
                        server.stop()
                        shutil.rmtree(server.env["SCCACHE_DIR"], ignore_errors=True)
                        server.start()
                    server.zero()
                    wall, crates, relinked = build(ws, v, server)
                    stats = server.stats()
                    times[(v, phase)].append(wall)
                    counts[(v, phase)] = (stats["hits"], stats["misses"])
                    compiled[(v, phase)] = (crates, relinked)
                    print(f"[RUN] {i + 1} {v} {phase}: {wall:.2f} s, {stats['hits']} hits, "
                          f"{stats['misses']} misses, rustc for {crates}, relinked {relinked}",
                          flush=True)
    finally:
        path.write_text(original)
        for s in servers.values():
            s.stop()
    label = args.label or f"{ws.name}: {args.file}"
    lines = []
    for phase in PHASES:
        med = {v: statistics.median(times[(v, phase)]) for v in VARIANTS}
        hm = {v: "{}/{}".format(*counts[(v, phase)]) for v in VARIANTS}
        crates, relinked = compiled[("headers", phase)]
        what = (f"{', '.join(crates)}; relinked {', '.join(relinked)}" if phase in ("edit", "revert")
                else f"{len(crates)} crates")
        lines.append(f"| {label} | {phase} | {args.runs} | {med['stock']:.2f} s | "
                     f"{med['headers']:.2f} s | **{med['stock'] / med['headers']:.2f}** | "
                     f"{hm['stock']} | {hm['headers']} | {what} |")
    for line in lines:
        print(line)
    if args.out:
        new = not args.out.exists()
        with args.out.open("a") as f:
            f.write((HEADER if new else "") + "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
