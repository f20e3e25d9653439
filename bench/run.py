#!/usr/bin/env python3
"""Runs the benchmarks and writes a dated report to bench/results/.

Usage: ./x.py bench [--quick] [WORKLOAD...]

Workloads (all of them by default):
  header-overhead   what -Z emit-header adds to compiling real crates (syn, regex-automata,
                    regex-syntax), interleaved runs with and without the flag
  ripgrep-clean     clean `cargo build` of ripgrep 14.1.1 (its published crate and Cargo.lock),
                    stock pipelining against -Z header-pipelining, interleaved
  synthetic         clean builds of generated workspaces (bench/gen_workspace.py: a codegen-heavy
                    library chain under a heavy binary, a fan-in of libraries), dev and release

--quick runs fewer repetitions, for a check that the benchmarks work, not for figures.
"""

import argparse
import datetime
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"


def machine() -> str:
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return f"{platform.system()} {platform.release()}, {os.cpu_count()} cores ({cpu}){mem}"


def pin() -> str:
    for line in (ROOT / "upstream.toml").read_text().splitlines():
        if line.strip().startswith("version_file"):
            return line.split("=", 1)[1].strip().strip('"')
    return "unknown"


def commit() -> str:
    out = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
    )
    return out.stdout.strip() or "unknown"


def toolchain() -> str:
    out = subprocess.run(["rustc", "+headers", "-V"], capture_output=True, text=True)
    return out.stdout.strip() or "rustc +headers not found"


def ripgrep_source() -> Path:
    """ripgrep 14.1.1 as published, with its Cargo.lock, fetched once through cargo."""
    cache = Path(os.environ.get("RUST_HEADERS_CACHE", Path.home() / ".cache/rust-headers"))
    fetch, project = cache / "bench/rg-fetch", cache / "bench/ripgrep"
    if not (project / "Cargo.lock").exists():
        (fetch / "src").mkdir(parents=True, exist_ok=True)
        (fetch / "src/lib.rs").write_text("")
        (fetch / "Cargo.toml").write_text(
            '[package]\nname = "rg-fetch"\nversion = "0.0.0"\nedition = "2021"\n'
            'publish = false\n\n[dependencies]\nripgrep = "=14.1.1"\n\n[workspace]\n'
        )
        subprocess.run(["cargo", "+headers", "fetch"], cwd=fetch, check=True)
        registry = Path.home() / ".cargo/registry/src"
        source = next(registry.glob("*/ripgrep-14.1.1"))
        subprocess.run(["cp", "-r", str(source), str(project)], check=True)
    subprocess.run(["cargo", "+headers", "fetch", "--locked"], cwd=project, check=True)
    return project


def synthetic(quick: bool, out: Path) -> list[list[str]]:
    cache = Path(os.environ.get("RUST_HEADERS_CACHE", Path.home() / ".cache/rust-headers"))
    commands = []
    for shape, libs in (("heavy-bin", 2), ("fan-in", 4)):
        root = cache / "bench/synthetic" / shape
        gen = [sys.executable, str(BENCH / "gen_workspace.py"), shape, str(root)]
        commands.append(gen + ["--libs", str(libs), "--fns", "600"])
        for profile in ([], ["--release"]):
            runs = ["--runs", "1" if quick else "3"]
            commands.append([sys.executable, str(BENCH / "clean_build.py"), str(root), *runs,
                             *profile, "--out", str(out)])
    return commands


def ripgrep_rebuild(quick: bool, out: Path) -> list[list[str]]:
    """Rebuilds of ripgrep with its grep crates as path dependencies, after edits that keep the
    interface: a trait impl's body in grep-matcher and a private function in grep-searcher."""
    cache = Path(os.environ.get("RUST_HEADERS_CACHE", Path.home() / ".cache/rust-headers"))
    ripgrep_source()
    ws = cache / "bench/ripgrep-ws"
    make = [sys.executable, str(BENCH / "ripgrep_workspace.py"), str(ws)]
    runs = ["--runs", "2" if quick else "4"]
    edits = [
        ("grep-matcher: BitSet's Debug body", "crates/grep-matcher/src/lib.rs",
         "fmtd.entry(&b);", "fmtd.entry(&(b ^ 0));"),
        ("grep-searcher: private replace_bytes body", "crates/grep-searcher/src/line_buffer.rs",
         "    bytes[first_pos] = replacement;\n", "    bytes[first_pos] = replacement ^ 0;\n"),
    ]
    commands = [make]
    for profile in ([], ["--release"]) if not quick else ([],):
        for label, file, find, replace in edits:
            commands.append([sys.executable, str(BENCH / "rebuild.py"), str(ws), file, find, replace,
                             *runs, *profile, "--label", label, "--out", str(out)])
    return commands


WORKLOADS = {
    "synthetic": synthetic,
    "header-overhead": lambda quick, out: [[
        sys.executable,
        str(BENCH / "header_overhead.py"),
        "--runs",
        "2" if quick else "3",
        "--profile",
        "dev",
        "--out",
        str(out),
    ]],
    "ripgrep-rebuild": ripgrep_rebuild,
    "ripgrep-clean": lambda quick, out: [[
        sys.executable,
        str(BENCH / "clean_build.py"),
        str(ripgrep_source()),
        "--runs",
        "1" if quick else "3",
        "--out",
        str(out),
    ]],
}


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("workloads", nargs="*", metavar="WORKLOAD")
    args = ap.parse_args()
    names = args.workloads or list(WORKLOADS)
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        ap.error(f"unknown workload {', '.join(unknown)}; known: {', '.join(WORKLOADS)}")

    today = datetime.date.today().isoformat()
    results = BENCH / "results"
    results.mkdir(exist_ok=True)
    sections = []
    for name in names:
        print(f"[BENCH] {name}{' (quick)' if args.quick else ''}", flush=True)
        part = results / f".{today}-{name}.part.md"
        part.unlink(missing_ok=True)  # left by an interrupted run: its rows are not this run's
        for command in WORKLOADS[name](args.quick, part):
            subprocess.run(command, check=True)
        sections.append(f"## {name}\n\n{part.read_text()}")
        part.unlink()

    suffix = "-quick" if args.quick else ""
    report = results / f"{today}-{'-'.join(names)}{suffix}.md"
    header = (
        f"# Benchmarks, {today}\n\n"
        f"- machine: {machine()}\n"
        f"- upstream: rustc {pin()}\n"
        f"- toolchain: {toolchain()}\n"
        f"- commit: {commit()}\n\n"
    )
    report.write_text(header + "\n".join(sections))
    print(f"[REPORT] {report.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
