"""Rebuild after an edit: stock cargo pipelining against -Z header-pipelining (with early cutoff).

For one workspace and one edit (a text replacement in one file), each variant gets its own target
directory and a first build; then each run applies the edit (or reverts it: runs alternate, so
every run is an edit), waits for the mtime to move, and times `cargo +headers build -v`, variants
interleaved. Reports the median wall time per variant, the ratio stock/headers, and which crates
rustc compiled and which units only relinked.

    rebuild.py WORKSPACE FILE FIND REPLACE [--runs N] [--release] [--label TEXT] [--out REPORT.md]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

VARIANTS = {"stock": [], "headers": ["-Zheader-pipelining"]}


def build(ws: Path, variant: str, release: bool) -> tuple[float, list[str], list[str]]:
    # Outside the package: files under a package's root count as its sources for cargo.
    env = {**os.environ, "CARGO_TARGET_DIR": str(ws.parent / f"{ws.name}-target-{variant}")}
    cmd = ["cargo", "+headers", "build", "-v", *VARIANTS[variant]] + (["--release"] if release else [])
    start = time.monotonic()
    out = subprocess.run(cmd, cwd=ws, env=env, capture_output=True, text=True)
    elapsed = time.monotonic() - start
    if out.returncode:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.stderr[-3000:]}")
    compiled, relinked = what_ran(out.stderr)
    return elapsed, compiled, relinked


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
    args = ap.parse_args()
    path = args.workspace / args.file
    original = path.read_text()
    if original.count(args.find) != 1:
        sys.exit(f"{args.find!r} must occur once in {path}")
    edited = original.replace(args.find, args.replace)

    times = {v: [] for v in VARIANTS}
    crates = {}
    try:
        for v in VARIANTS:
            build(args.workspace, v, args.release)
        for run in range(args.runs):
            time.sleep(1.1)
            path.write_text(edited if run % 2 == 0 else original)
            order = list(VARIANTS) if run % 2 == 0 else list(reversed(VARIANTS))
            for v in order:
                elapsed, compiled, relinked = build(args.workspace, v, args.release)
                times[v].append(elapsed)
                crates[v] = (compiled, relinked)
                print(f"run {run + 1} {v}: {elapsed:.2f}s compiled {compiled} relinked {relinked}", flush=True)
    finally:
        path.write_text(original)

    med = {v: statistics.median(t) for v, t in times.items()}
    label = args.label or f"{args.workspace.name}: {args.file}"
    profile = "release" if args.release else "dev"
    row = (f"| {label} | {profile} | {args.runs} | {med['stock']:.2f} s | {med['headers']:.2f} s | "
           f"{med['stock'] / med['headers']:.2f} | {', '.join(crates['stock'][0])} | "
           f"{', '.join(crates['headers'][0])}; relinked {', '.join(crates['headers'][1]) or '-'} |")
    print(row)
    if args.out:
        new = not args.out.exists()
        with args.out.open("a") as f:
            if new:
                f.write("| workload: edit | profile | runs | stock (median) | headers (median) | "
                        "stock/headers | stock compiles | headers compiles |\n"
                        "|---|---|---|---|---|---|---|---|\n")
            f.write(row + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
