#!/usr/bin/env python3
"""What `-Z emit-header` costs a library's compile: interleaved runs of one crate with and
without the flag, everything else equal.

A scratch package depending on the measured crates (pinned versions, fetched once from
crates.io through cargo) is built once; then `cargo rustc -p <crate>` recompiles only that crate,
alternating the two variants, so both see the same machine state. Cargo passes
`--emit=dep-info,metadata,link` to libraries either way; the flag adds the header checks.

Usage: bench/header_overhead.py [--runs N] [--profile dev|release] [--out FILE]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

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


def cargo(root: Path, *args: str) -> float:
    start = time.monotonic()
    subprocess.run(
        ["cargo", "+headers", *args],
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
    print(f"[BUILD] dependencies ({args.profile})", flush=True)
    cargo(root, "build", "--profile", args.profile)

    rows = []
    for name in CRATES:
        base = ["rustc", "-p", name, "--profile", args.profile, "--lib"]
        variants = {"plain": base, "header": base + ["--", "-Zemit-header"]}
        times = {v: [] for v in variants}
        # The extra rustc arguments are part of cargo's fingerprint, so strictly alternating the
        # variants recompiles the crate (and only it) every time. The first pair warms up.
        for i in range(args.runs + 1):
            for v in variants:
                t = cargo(root, *variants[v])
                if i > 0:
                    times[v].append(t)
        plain, header = statistics.median(times["plain"]), statistics.median(times["header"])
        overhead = (header - plain) / plain * 100
        print(f"[MEASURE] {name}: {plain:.2f} s plain, {header:.2f} s header, {overhead:+.1f} %")
        rows.append((name, CRATES[name][0].lstrip("="), plain, header, overhead, times))

    if args.out:
        lines = [
            f"| crate | version | profile | plain (median, s) | -Z emit-header (median, s) | overhead |",
            "|---|---|---|---|---|---|",
        ]
        for name, ver, plain, header, overhead, _ in rows:
            lines.append(
                f"| {name} | {ver} | {args.profile} | {plain:.2f} | {header:.2f} | {overhead:+.1f} % |"
            )
        lines.append("")
        lines.append(f"{args.runs} interleaved runs per variant; raw times (s):")
        lines.append("")
        for name, _, _, _, _, times in rows:
            for v, ts in times.items():
                lines.append(f"- {name} {v}: " + ", ".join(f"{t:.2f}" for t in ts))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("\n".join(lines) + "\n")
        print(f"[WRITE] {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
