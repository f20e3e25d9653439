#!/usr/bin/env python3
"""Clean builds of a cargo project: stock pipelining against -Z header-pipelining, plus a
simulation of the same build on other core counts.

Variants: `stock` and `headers` use the `+headers` toolchain (flags off, and
`-Z header-pipelining`); `rustup` (with `--reference`) is rustup's stock 1.95.0, a reference line
for what the flags-off toolchain costs. Each variant has its own target directory (outside the
project); runs alternate the variants' order, each from `cargo clean`, offline, after a warm-up
round, with `--timings`. Per variant: median wall time, CPU time (user + system of every process)
and peak memory (the largest sampled sum of the resident sets of cargo and its children).

Then `simulate.py` replays the last run of each variant with the command's `--unit-graph`: each
run checks its simulated schedule against what was measured on this machine, then gives its
schedule's figures for 1 to 64 cores (no pipelining and stock from the stock run, headers and the
headers schedule's lower bound from the headers run), and the header schedule once more with
the stock run's durations: what the schedule's structure alone gives, with no unit faster or
slower under headers (unit timings on a busy machine move more than the header's cost).

Usage: bench/clean_build.py PROJECT [--runs N] [--warmup N] [--release] [--test] [--reference] [--label TEXT]
       [--out REPORT.md] [--json OUT.json] [-- CARGO_ARGS...]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import simulate
from timing import run, target_dir

VARIANTS = {
    "stock": ("+headers", []),
    "headers": ("+headers", ["-Zheader-pipelining"]),
    "rustup": ("+1.95.0", []),
}
CORES = [1, 2, 4, 8, 16, 64]


def command(args, variant: str) -> list[str]:
    toolchain, flags = VARIANTS[variant]
    what = ["test", "--no-run"] if args.test else ["build"]
    return ["cargo", toolchain, *what, "--offline", *(["--release"] if args.release else []),
            "--timings", *flags, *args.cargo_args]


def job_count(cargo_args: list[str]) -> int:
    """The jobs cargo runs with: `-j N` among its arguments, else one per core."""
    jobs = os.cpu_count() or 1
    for i, a in enumerate(cargo_args):
        if a in ("-j", "--jobs") and i + 1 < len(cargo_args):
            jobs = int(cargo_args[i + 1])
        elif a.startswith("--jobs="):
            jobs = int(a.split("=", 1)[1])
        elif a.startswith("-j") and a[2:].isdigit():
            jobs = int(a[2:])
    return jobs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("project", type=Path)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1, help="rounds run first and not counted")
    ap.add_argument("--release", action="store_true")
    ap.add_argument("--test", action="store_true", help="`cargo test --no-run` instead of build")
    ap.add_argument("--reference", action="store_true", help="also time rustup's stock 1.95.0")
    ap.add_argument("--label")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--json", type=Path, help="append the figures (for the chart) to this file")
    ap.add_argument("cargo_args", nargs="*")
    args = ap.parse_args()

    variants = ["stock", "headers"] + (["rustup"] if args.reference else [])
    usage = {v: [] for v in variants}
    timings = {}
    for i in range(args.runs + args.warmup):
        for variant in variants if i % 2 == 0 else list(reversed(variants)):
            env = {**os.environ, "CARGO_TARGET_DIR": str(target_dir(args.project, variant))}
            shutil.rmtree(target_dir(args.project, variant) / "cargo-timings", ignore_errors=True)
            run(["cargo", VARIANTS[variant][0], "clean", "--offline"], args.project, env)
            u = run(command(args, variant), args.project, env)
            if i >= args.warmup:
                usage[variant].append(u)
            report = target_dir(args.project, variant) / "cargo-timings/cargo-timing.html"
            timings[variant] = args.project.parent / f"{args.project.name}-timings-{variant}.html"
            shutil.copy(report, timings[variant])
            print(f"[RUN] {variant} {'warm-up' if i < args.warmup else i - args.warmup + 1}: {u.wall:.1f} s, cpu {u.cpu:.1f} s, "
                  f"peak {u.peak_rss:.0f} MiB", flush=True)

    med = {v: {m: statistics.median(getattr(u, m) for u in usage[v]) for m in ("wall", "cpu", "peak_rss")}
           for v in variants}
    profile = "release" if args.release else "dev"
    what = "test --no-run" if args.test else "build"
    label = args.label or args.project.name

    graph = args.project.parent / f"{args.project.name}-unit-graph.json"
    unit_graph = [a for a in command(args, "stock") if a != "--timings"]
    out = subprocess.run(unit_graph + ["-Zunstable-options", "--unit-graph"], cwd=args.project,
                         capture_output=True, text=True, check=True)
    graph.write_text(out.stdout)

    # Each schedule is replayed with the durations of the run that used it: stock (and no
    # pipelining) from the stock run, headers from the headers run, whose units cost what
    # compiling against headers and linking separately costs.
    runs = {v: simulate.load(timings[v], graph) for v in ("stock", "headers")}
    checks = {v: simulate.check(runs[v][0], v, job_count(args.cargo_args)) for v in ("stock", "headers")}
    # Cargo's own start-up (before the first unit) is part of every figure.
    first = simulate.measured_span(runs["headers"][0])[0]
    sim = {n: {k: first + t for k, t in row.items()}
           for n, row in simulate.figures(runs["stock"][0], runs["headers"][0], CORES).items()}
    # The schedules' structure alone: the header schedule replayed with the stock run's durations.
    same = simulate.with_durations(runs["headers"][0], runs["stock"][0])
    for n in CORES:
        sim[n]["structure"] = first + simulate.simulate(same, "headers", n)

    s, h = med["stock"], med["headers"]
    ref = f" {med['rustup']['wall']:.1f} |" if "rustup" in med else " - |"
    raw = "; ".join(f"{v}: " + ", ".join(f"{u.wall:.1f}" for u in usage[v]) for v in variants)
    row = (f"| {label} | `cargo {what}` {profile} | {s['wall']:.1f} | {h['wall']:.1f} | "
           f"**{s['wall'] / h['wall']:.2f}** |{ref} {s['cpu']:.0f} / {h['cpu']:.0f} | "
           f"{s['peak_rss']:.0f} / {h['peak_rss']:.0f} | "
           + " / ".join(f"{100 * (checks[v][0] / checks[v][1] - 1):+.1f} %" for v in ("stock", "headers"))
           + f" | <!-- {args.runs} interleaved runs; {raw} -->")
    print(row)
    sim_rows = [f"**{label}, `cargo {what}` {profile}** (simulated from the last run of each variant; "
                f"the headers run measured {checks['headers'][1]:.1f} s, simulated "
                f"{checks['headers'][0]:.1f} s; the stock run {checks['stock'][1]:.1f} s, simulated "
                f"{checks['stock'][0]:.1f} s)\n",
                "| cores | no pipelining | stock | headers | bound (headers) | stock/headers "
                "| headers, stock run's durations | stock/that |",
                "|---|---|---|---|---|---|---|---|"]
    for n in CORES:
        r = sim[n]
        sim_rows.append(f"| {n} | {r['none']:.1f} | {r['stock']:.1f} | {r['headers']:.1f} | "
                        f"{r['bound']:.1f} | {r['stock'] / r['headers']:.2f} | "
                        f"{r['structure']:.1f} | {r['stock'] / r['structure']:.2f} |")
    print("\n".join(sim_rows))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        table = args.out.with_suffix(".sim.md")
        if not args.out.exists():
            args.out.write_text(
                "| workload | command | stock (s) | headers (s) | stock/headers | rustup 1.95.0 (s) "
                "| CPU s stock / headers | peak MiB stock / headers | simulated vs measured, "
                "the run's jobs: stock / headers |\n|---|---|---|---|---|---|---|---|---|\n")
        with open(args.out, "a") as f:
            f.write(row + "\n")
        with open(table, "a") as f:
            f.write("\n".join(sim_rows) + "\n\n")
    if args.json:
        entries = json.loads(args.json.read_text()) if args.json.exists() else []
        entries.append({"label": f"{label}, {what} {profile}", "measured": med,
                        "checks": checks, "simulated": {str(k): v for k, v in sim.items()}})
        args.json.write_text(json.dumps(entries, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
