#!/usr/bin/env python3
"""What `-Z emit-header` costs a library's compile: interleaved runs of one crate with and
without the flag, everything else equal; and with `-Z emit-header -Z consume-headers`, the flags
cargo's `-Z header-pipelining` gives every library.

A scratch package depending on the measured crates (pinned versions, fetched once from
crates.io through cargo) is built once with `cargo build -v`; each measured crate's rustc command,
exactly as cargo ran it (`--emit=dep-info,metadata,link`), is then run again and again, with and
without the flags, alternating, so all variants see the same machine state.

Usage: bench/header_overhead.py [--runs N] [--profile dev|release] [--out FILE]
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from timing import cargo

CRATES = {
    # crate: (version requirement, features)
    "syn": ("=2.0.114", ["full", "visit", "visit-mut", "fold", "extra-traits"]),
    "regex-automata": ("=0.4.13", []),
    "regex-syntax": ("=0.8.8", []),
}


def cache_dir() -> Path:
    return Path(os.environ.get("RUST_HEADERS_CACHE", Path.home() / ".cache/rust-headers"))


def write_package(root: Path) -> None:
    (root / "src").mkdir(parents=True, exist_ok=True)
    deps = "\n".join(
        f'{name} = {{ version = "{ver}", features = {feats!r} }}'.replace("'", '"')
        for name, (ver, feats) in CRATES.items()
    )
    manifest = f"""[package]
name = "header-overhead"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
{deps}

[workspace]
"""
    path = root / "Cargo.toml"
    if not path.exists() or path.read_text() != manifest:
        path.write_text(manifest)
    (root / "src/lib.rs").write_text("")


def run_shell(root: Path, command: str) -> float:
    start = time.monotonic()
    subprocess.run(
        command,
        shell=True,
        cwd=root,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.monotonic() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--profile", choices=["dev", "release"], default="release")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()

    root = cache_dir() / "bench/header-overhead"
    write_package(root)
    print(f"[FETCH] {', '.join(CRATES)}", flush=True)
    cargo(root, "fetch")
    # The exact rustc command of each measured crate, as cargo runs it.
    print(f"[BUILD] from clean, to record the rustc commands ({args.profile})", flush=True)
    cargo(root, "clean", "--profile", args.profile)
    verbose = subprocess.run(
        ["cargo", "+headers", "build", "--profile", args.profile, "-v"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stderr
    commands = {}
    for line in verbose.splitlines():
        m = re.search(r"Running `(.*)`$", line.strip())
        if not m:
            continue
        for name in CRATES:
            crate = name.replace("-", "_")
            if f"--crate-name {crate} " in m.group(1) and "--crate-type lib" in m.group(1):
                commands[name] = m.group(1)
    missing = [n for n in CRATES if n not in commands]
    if missing:
        raise SystemExit(f"no rustc command seen for {', '.join(missing)}")

    rows = []
    for name in CRATES:
        variants = {
            "plain": commands[name],
            "header": commands[name] + " -Zemit-header",
            "cargo": commands[name] + " -Zemit-header -Zconsume-headers",
        }
        times = {v: [] for v in variants}
        # Alternate the variants; the first pair warms up.
        for i in range(args.runs + 1):
            for v in variants:
                t = run_shell(root, variants[v])
                if i > 0:
                    times[v].append(t)
        plain, header, both = (statistics.median(times[v]) for v in ("plain", "header", "cargo"))
        overhead, overhead_both = ((t - plain) / plain * 100 for t in (header, both))
        print(f"[MEASURE] {name}: {plain:.2f} s plain, {header:.2f} s header ({overhead:+.1f} %), "
              f"{both:.2f} s with -Z consume-headers too ({overhead_both:+.1f} %)")
        rows.append((name, CRATES[name][0].lstrip("="), plain, header, overhead, both,
                     overhead_both, times))

    if args.out:
        lines = [
            "| crate | version | profile | plain (median, s) | -Z emit-header (median, s) | overhead "
            "| with -Z consume-headers too, as cargo passes them (median, s) | overhead |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for name, ver, plain, header, overhead, both, overhead_both, _ in rows:
            lines.append(
                f"| {name} | {ver} | {args.profile} | {plain:.2f} | {header:.2f} | {overhead:+.1f} % "
                f"| {both:.2f} | {overhead_both:+.1f} % |"
            )
        lines.append("")
        lines.append(f"{args.runs} interleaved runs per variant; raw times (s):")
        lines.append("")
        for name, *_, times in rows:
            for v, ts in times.items():
                lines.append(f"- {name} {v}: " + ", ".join(f"{t:.2f}" for t in ts))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        # Appends, so that one report can hold several profiles.
        with open(args.out, "a") as f:
            f.write(("\n" if args.out.stat().st_size else "") + "\n".join(lines) + "\n")
        print(f"[WRITE] {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
