#!/usr/bin/env python3
"""What `-Z emit-header` costs a library's compile: interleaved runs of one crate with and
without the flag, everything else equal; and with `-Z emit-header -Z consume-headers`, the flags
cargo's `-Z header-pipelining` gives every library.

A scratch package depending on the measured crates (pinned versions, fetched once from
crates.io through cargo) is built once with `cargo build -v`; each measured crate's rustc command,
exactly as cargo ran it (`--emit=dep-info,metadata,link`), is then run again and again, with and
without the flags, alternating, so all variants see the same machine state. Each run's wall time
and CPU time (user + system, of rustc and its children) are recorded; the overhead is computed
from the CPU time, which the other core's load moves less than the wall time.

Times on this kind of machine swing by ±10 % between runs of one command, more than the overhead
that matters. `--instructions` counts instead the instructions each variant executes (one run
under valgrind's callgrind, about 50 times slower; the count is repeatable), which resolves
fractions of a percent. Pick the crates with `--crates` (libc takes about two minutes per variant).

Usage: bench/header_overhead.py [--runs N] [--profile dev|release] [--instructions]
                                 [--crates NAME,...] [--out FILE]
"""

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import cargo

CRATES = {
    # crate: (version requirement, features)
    # libc: a very large public API (thousands of items) and little code, the worst case.
    "libc": ("=0.2.177", []),
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


def run_shell(root: Path, command: str) -> tuple[float, float]:
    """Runs `command`; returns its wall time and its CPU time (user + system), in seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    subprocess.run(
        command,
        shell=True,
        cwd=root,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def count_instructions(root: Path, command: str) -> int:
    """Runs `command` under callgrind; returns the instructions executed, in all threads."""
    with tempfile.TemporaryDirectory(prefix="header-overhead-") as tmp:
        # Each run writes its outputs elsewhere, so no run reads another's.
        command = re.sub(r"--out-dir \S+", f"--out-dir {tmp}", command)
        done = subprocess.run(
            f"valgrind --tool=callgrind --callgrind-out-file={tmp}/callgrind.out {command}",
            shell=True,
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
    m = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or not m:
        raise SystemExit(f"rustc under callgrind failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return int(m.group(1))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--profile", choices=["dev", "release"], default="release")
    ap.add_argument("--instructions", action="store_true",
                    help="count instructions under callgrind instead of timing")
    ap.add_argument("--crates", help="comma-separated subset of: " + ", ".join(CRATES))
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    crates = args.crates.split(",") if args.crates else list(CRATES)
    unknown = [c for c in crates if c not in CRATES]
    if unknown:
        raise SystemExit(f"unknown crate {', '.join(unknown)}; known: {', '.join(CRATES)}")

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
    missing = [n for n in crates if n not in commands]
    if missing:
        raise SystemExit(f"no rustc command seen for {', '.join(missing)}")

    if args.instructions:
        return instructions(root, crates, commands, args)

    rows = []
    for name in crates:
        variants = {
            "plain": commands[name],
            "header": commands[name] + " -Zemit-header",
            "cargo": commands[name] + " -Zemit-header -Zconsume-headers",
        }
        walls = {v: [] for v in variants}
        cpus = {v: [] for v in variants}
        # Alternate the variants; the first round warms up.
        for i in range(args.runs + 1):
            for v in variants:
                wall, cpu = run_shell(root, variants[v])
                if i > 0:
                    walls[v].append(wall)
                    cpus[v].append(cpu)
        wall = {v: statistics.median(ts) for v, ts in walls.items()}
        cpu = {v: statistics.median(ts) for v, ts in cpus.items()}
        overhead = {v: (cpu[v] - cpu["plain"]) / cpu["plain"] * 100 for v in ("header", "cargo")}
        print(f"[MEASURE] {name}: CPU {cpu['plain']:.2f} s plain, {cpu['header']:.2f} s header "
              f"({overhead['header']:+.1f} %), {cpu['cargo']:.2f} s with -Z consume-headers too "
              f"({overhead['cargo']:+.1f} %); wall {wall['plain']:.2f} / {wall['header']:.2f} / "
              f"{wall['cargo']:.2f} s")
        rows.append((name, CRATES[name][0].lstrip("="), wall, cpu, overhead, walls, cpus))

    if args.out:
        lines = [
            "| crate | version | profile | CPU plain (median, s) | CPU -Z emit-header | overhead "
            "| CPU with -Z consume-headers too, as cargo passes them | overhead "
            "| wall plain / header / both (median, s) |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for name, ver, wall, cpu, overhead, _, _ in rows:
            lines.append(
                f"| {name} | {ver} | {args.profile} | {cpu['plain']:.2f} | {cpu['header']:.2f} "
                f"| {overhead['header']:+.1f} % | {cpu['cargo']:.2f} | {overhead['cargo']:+.1f} % "
                f"| {wall['plain']:.2f} / {wall['header']:.2f} / {wall['cargo']:.2f} |"
            )
        lines.append("")
        lines.append(f"{args.runs} interleaved runs per variant after a warm-up round; "
                     "raw times (s), CPU then wall:")
        lines.append("")
        for name, *_, walls, cpus in rows:
            for v in walls:
                lines.append(f"- {name} {v}: CPU " + ", ".join(f"{t:.2f}" for t in cpus[v])
                             + "; wall " + ", ".join(f"{t:.2f}" for t in walls[v]))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        # Appends, so that one report can hold several profiles.
        with open(args.out, "a") as f:
            f.write(("\n" if args.out.stat().st_size else "") + "\n".join(lines) + "\n")
        print(f"[WRITE] {args.out}")
    return 0


def instructions(root: Path, crates: list[str], commands: dict[str, str], args) -> int:
    lines = [
        "| crate | version | profile | instructions, plain | -Z emit-header | overhead "
        "| with -Z consume-headers too, as cargo passes them | overhead |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in crates:
        counts = {
            v: count_instructions(root, commands[name] + flags)
            for v, flags in [("plain", ""), ("header", " -Zemit-header"),
                             ("cargo", " -Zemit-header -Zconsume-headers")]
        }
        overhead = {v: (counts[v] - counts["plain"]) / counts["plain"] * 100
                    for v in ("header", "cargo")}
        print(f"[MEASURE] {name}: {counts['plain'] / 1e6:.0f} M instructions plain, "
              f"{counts['header'] / 1e6:.0f} M header ({overhead['header']:+.2f} %), "
              f"{counts['cargo'] / 1e6:.0f} M with -Z consume-headers too "
              f"({overhead['cargo']:+.2f} %)")
        lines.append(
            f"| {name} | {CRATES[name][0].lstrip('=')} | {args.profile} "
            f"| {counts['plain'] / 1e6:.1f} M | {counts['header'] / 1e6:.1f} M "
            f"| {overhead['header']:+.2f} % | {counts['cargo'] / 1e6:.1f} M "
            f"| {overhead['cargo']:+.2f} % |"
        )
    if args.out:
        lines += ["", "Instructions executed by rustc in all its threads, one run per variant "
                  "under valgrind's callgrind."]
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with open(args.out, "a") as f:
            f.write(("\n" if args.out.stat().st_size else "") + "\n".join(lines) + "\n")
        print(f"[WRITE] {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
