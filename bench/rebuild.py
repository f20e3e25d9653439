#!/usr/bin/env python3
"""Rebuild after an edit: stock cargo pipelining against -Z header-pipelining (with early cutoff).

For one workspace and one edit (a text replacement in one file), each variant gets its own target
directory and a first build; then each run applies the edit (or reverts it: runs alternate, so
every run is an edit), waits for the mtime to move, and times `cargo +headers build -v --timings`,
variants interleaved. Reports the median wall time per variant, the ratio stock/headers, which
crates rustc compiled and which units only relinked, and the headers rebuild against its lower
bound: a no-op `cargo build` (what cargo costs when nothing is to be done) plus, from the headers
run's timings, the compiles of the crates rustc compiled, one after the other, and the longest
relink.

With `--then FILE FIND REPLACE`, each run goes on with a second edit, of a dependent of the first
edit's crate, and times that build too (a second row, `then …`): after an early cutoff, the
dependent's incremental cache is older than the upstream crate it read (stock compiled the
dependent in the first build), so this row shows what the cutoff costs the dependent's next
incremental compile.

    rebuild.py WORKSPACE FILE FIND REPLACE [--runs N] [--release] [--label TEXT] [--out REPORT.md]
               [--json DATA.json] [--then FILE FIND REPLACE]
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import simulate
from timing import run, target_dir

VARIANTS = {"stock": [], "headers": ["-Zheader-pipelining"]}
HEADER = ("| workload: edit | profile | runs | stock (median) | headers (median) | stock/headers | "
          "headers / lower bound | stock compiles | headers compiles |\n"
          "|---|---|---|---|---|---|---|---|---|\n")


def build(ws: Path, variant: str, release: bool) -> tuple[float, list[str], list[str]]:
    env = {**os.environ, "CARGO_TARGET_DIR": str(target_dir(ws, variant))}
    cmd = ["cargo", "+headers", "build", "-v", "--timings", *VARIANTS[variant]]
    try:
        usage = run(cmd + (["--release"] if release else []), ws, env, capture=True)
    except Exception as e:
        sys.exit(f"{' '.join(cmd)} failed:\n{getattr(e, 'stderr', '')[-3000:]}")
    compiled, relinked = what_ran(usage.stderr)
    return usage.wall, compiled, relinked


def what_ran(stderr: str) -> tuple[list[str], list[str]]:
    """From `cargo build -v`: the crates rustc compiled (sorted), and the packages it relinked."""
    compiled, relinked = [], []
    for line in stderr.splitlines():
        line = line.strip()
        if line.startswith("Running `") and "--crate-name " in line and "-Z link-only" not in line:
            name = line.split("--crate-name ")[1].split(" ")[0]
            if name != "build_script_build":
                compiled.append(name)
        if line.startswith("Relinking "):
            relinked.append(line.split(" ")[1])
    return sorted(compiled), relinked


def lower_bound(ws: Path) -> float:
    """The last headers run's compiles, serially, plus its longest link (from its --timings)."""
    units = simulate.load_timings(target_dir(ws, "headers") / "cargo-timings/cargo-timing.html")
    compiles, links = 0.0, [0.0]
    for u in units:
        sections = {name: s["end"] - s["start"] for name, s in (u.get("sections") or [])}
        links.append(sections.get("link", 0.0))
        if "cutoff" not in sections:
            compiles += u["duration"] - sections.get("link-wait", 0.0) - sections.get("link", 0.0)
    return compiles + max(links)


def measure(ws: Path, apply, revert, runs: int, release: bool, then=None):
    """Times `runs` rebuilds per variant, alternately after apply() and revert(); with `then`
    (apply, revert) of a second edit, also the build after it, in each run."""
    times = {v: [] for v in VARIANTS}
    then_times = {v: [] for v in VARIANTS}
    crates, then_crates, bounds = {}, {}, []
    for v in VARIANTS:
        build(ws, v, release)
    # What cargo itself costs when nothing is to be done: part of every rebuild's lower bound.
    noop = statistics.median(build(ws, "headers", release)[0] for _ in range(3))
    try:
        for i in range(runs):
            order = list(VARIANTS) if i % 2 == 0 else list(reversed(VARIANTS))
            time.sleep(1.1)  # let the edited file's mtime move past the last build's
            apply() if i % 2 == 0 else revert()
            for v in order:
                elapsed, compiled, relinked = build(ws, v, release)
                times[v].append(elapsed)
                crates[v] = (compiled, relinked)
                if v == "headers" and relinked:
                    bounds.append(noop + lower_bound(ws))
                print(f"[RUN] {i + 1} {v}: {elapsed:.2f} s, compiled {compiled}, relinked {relinked}",
                      flush=True)
            if then:
                time.sleep(1.1)
                then[0]() if i % 2 == 0 else then[1]()
                for v in order:
                    elapsed, compiled, relinked = build(ws, v, release)
                    then_times[v].append(elapsed)
                    then_crates[v] = (compiled, relinked)
                    print(f"[RUN] {i + 1} {v}, then: {elapsed:.2f} s, compiled {compiled}", flush=True)
    finally:
        revert()
        if then:
            then[1]()
    med = {v: statistics.median(t) for v, t in times.items()}
    bound = statistics.median(bounds) if bounds else None
    if not then:
        return med, crates, bound, None
    then_med = {v: statistics.median(t) for v, t in then_times.items()}
    return med, crates, bound, (then_med, then_crates)


def row(label: str, release: bool, runs: int, med, crates, bound: float | None) -> str:
    """A report row; the lower bound applies to rebuilds that ended in relinks (early cutoff)."""
    against_bound = f"{med['headers'] / bound:.2f} ({bound:.2f} s)" if bound else "-"
    return (f"| {label} | {'release' if release else 'dev'} | {runs} | {med['stock']:.2f} s | "
            f"{med['headers']:.2f} s | **{med['stock'] / med['headers']:.2f}** | {against_bound} | "
            f"{', '.join(crates['stock'][0])} | {', '.join(crates['headers'][0]) or '-'}; "
            f"relinked {', '.join(crates['headers'][1]) or '-'} |")


def append(out: Path | None, line: str, data: Path | None = None, entry: dict | None = None) -> None:
    print(line)
    if out:
        new = not out.exists()
        with out.open("a") as f:
            f.write((HEADER if new else "") + line + "\n")
    if data and entry:
        entries = json.loads(data.read_text()) if data.exists() else []
        data.write_text(json.dumps(entries + [entry], indent=1))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workspace", type=Path)
    ap.add_argument("file")
    ap.add_argument("find")
    ap.add_argument("replace")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--release", action="store_true")
    ap.add_argument("--label", default=None)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--json", type=Path, help="append the ratio (for the chart) to this file")
    ap.add_argument("--then", nargs=3, metavar=("FILE", "FIND", "REPLACE"),
                    help="a second edit, of a dependent, after each first one; timed too")
    args = ap.parse_args()
    path = args.workspace / args.file
    original = path.read_text()
    if original.count(args.find) != 1:
        sys.exit(f"{args.find!r} must occur once in {path}")
    edited = original.replace(args.find, args.replace)
    then = None
    if args.then:
        then_path = args.workspace / args.then[0]
        then_original = then_path.read_text()
        if then_original.count(args.then[1]) != 1:
            sys.exit(f"{args.then[1]!r} must occur once in {then_path}")
        then_edited = then_original.replace(args.then[1], args.then[2])
        then = (lambda: then_path.write_text(then_edited), lambda: then_path.write_text(then_original))
    med, crates, bound, after = measure(args.workspace, lambda: path.write_text(edited),
                                        lambda: path.write_text(original), args.runs, args.release,
                                        then)
    label = args.label or f"{args.workspace.name}: {args.file}"
    profile = "release" if args.release else "dev"
    append(args.out, row(label, args.release, args.runs, med, crates, bound), args.json,
           {"label": f"rebuild {label}, {profile}", "ratio": med["stock"] / med["headers"]})
    if after:
        then_med, then_crates = after
        append(args.out, row(f"then {args.then[0]}", args.release, args.runs, then_med, then_crates,
                             None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
