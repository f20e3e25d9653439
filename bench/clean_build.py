#!/usr/bin/env python3
"""Clean-build wall time of a cargo project, stock pipelining against -Z header-pipelining.

Both variants use the `+headers` toolchain. Runs alternate between the variants (the first pair
is a warm-up), each from `cargo clean`, offline; the report gives medians and the ratio
stock/headers.

Usage: bench/clean_build.py PROJECT_DIR [--runs N] [--release] [--out FILE] [-- CARGO_ARGS...]
"""

import argparse
import statistics
import sys
from pathlib import Path

from timing import cargo

VARIANTS = {"stock": [], "headers": ["-Zheader-pipelining"]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("project", type=Path)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--release", action="store_true")
    ap.add_argument("--out", type=Path)
    ap.add_argument("cargo_args", nargs="*")
    args = ap.parse_args()

    build = ["build", "--offline", *(["--release"] if args.release else []), *args.cargo_args]
    times = {v: [] for v in VARIANTS}
    for i in range(args.runs + 1):
        for variant, flags in VARIANTS.items():
            cargo(args.project, "clean", "--offline")
            elapsed = cargo(args.project, *build, *flags)
            if i > 0:
                times[variant].append(elapsed)
            print(f"[RUN] {variant} {'warm-up' if i == 0 else i}: {elapsed:.1f} s", flush=True)
    stock, headers = (statistics.median(times[v]) for v in VARIANTS)
    profile = "release" if args.release else "dev"
    line = (
        f"| {args.project.name} | `cargo build {' '.join(build[1:])}` ({profile}) | "
        f"{stock:.1f} | {headers:.1f} | {stock / headers:.3f} |"
    )
    print(f"[MEASURE] stock {stock:.1f} s, headers {headers:.1f} s, stock/headers {stock / headers:.3f}")
    if args.out:
        raw = "; ".join(f"{v}: " + ", ".join(f"{t:.1f}" for t in ts) for v, ts in times.items())
        args.out.parent.mkdir(parents=True, exist_ok=True)
        if not args.out.exists():
            args.out.write_text(
                "| project | command (profile) | stock (median, s) | headers (median, s) "
                "| stock/headers |\n|---|---|---|---|---|\n"
            )
        with open(args.out, "a") as f:
            f.write(line + f" <!-- {args.runs} interleaved runs; {raw} -->\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
