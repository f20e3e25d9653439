#!/usr/bin/env python3
"""Runs the benchmarks and writes a dated report to bench/results/.

Usage: ./x.py bench [--quick] [--rounds N] [WORKLOAD...]

Workloads (all of them by default), each stock cargo pipelining against -Z header-pipelining on
the `+headers` toolchain, interleaved, with rustup's stock 1.95.0 as a reference line for clean
builds:
  synthetic         clean builds of generated workspaces (gen_workspace.py: a chain, a diamond, a
                    fan-in, a library chain under a heavy binary; `cargo test --no-run` of a
                    workspace with many test targets), dev and release, simulated on 1-64 cores
  ripgrep-clean     ripgrep 14.1.1 (its published crate and Cargo.lock): clean `cargo build` dev
                    and release, `cargo test --no-run`, simulated on 1-64 cores
  gix-clean         gix 0.79.0 with its 54 gix-* crates as path dependencies under a small binary
                    (gix_workspace.py): the same measures
  corpus-rebuild    rebuild after each edit of the interface-hash edit corpus, applied to the low
                    crate of a generated workspace (corpus_rebuild.py)
  ripgrep-rebuild   rebuild of ripgrep with its grep crates as path dependencies after edits that
                    keep the interface (rebuild.py), against the rebuild's lower bound
  gix-rebuild       the same for gix, after a private-body edit in gix-date
  ripgrep-releases  real edits: ripgrep's library crates stepped one at a time through their
                    consecutive crates.io releases (ripgrep_releases.py), dev and release
  sccache-rebuild   ripgrep behind sccache (sccache_rebuild.py), dev without incremental: cold
                    cache, warm cache (every library a hit) and the private-body rebuild
  header-overhead   what -Z emit-header (alone, and with -Z consume-headers as cargo passes them)
                    adds to compiling real crates (syn, regex-automata, regex-syntax),
                    interleaved runs with and without the flags, dev and release

--quick runs one round per measure, dev only, without warm-up: it checks that the benchmarks work
(in about 20 minutes on two cores); its figures are not for comparison.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import chart as chart_module

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


def cache() -> Path:
    return Path(os.environ.get("RUST_HEADERS_CACHE", Path.home() / ".cache/rust-headers"))


ROUNDS = None  # --rounds: clean builds' rounds, without warm-up


def clean(project: Path, label: str, quick: bool, out: Path, data: Path, *extra: str) -> list[str]:
    runs = ["--runs", "1", "--warmup", "0"] if quick else ["--runs", "3"]
    if ROUNDS:
        runs = ["--runs", str(ROUNDS), "--warmup", "0"]
    return [sys.executable, str(BENCH / "clean_build.py"), str(project), *runs, "--reference",
            "--label", label, "--out", str(out), "--json", str(data), *extra]


def synthetic(quick: bool, out: Path, data: Path) -> list[list[str]]:
    commands = []
    for shape, libs, fns, what in (("chain", 6, 300, "build"), ("diamond", 4, 600, "build"),
                                   ("fan-in", 4, 600, "build"), ("heavy-bin", 2, 600, "build"),
                                   ("tests", 4, 600, "test")):
        root = cache() / "bench/synthetic" / shape
        commands.append([sys.executable, str(BENCH / "gen_workspace.py"), shape, str(root),
                         "--libs", str(libs), "--fns", str(fns), "--tests", "6"])
        for profile in ([], ["--release"]) if not quick and what == "build" else ([],):
            test = ["--test"] if what == "test" else []
            commands.append(clean(root, shape, quick, out, data, *profile, *test))
    return commands


def real_clean(project: Path, label: str, quick: bool, out: Path, data: Path,
               tests_in_quick: bool = True) -> list[list[str]]:
    commands = [clean(project, label, quick, out, data)]
    if tests_in_quick or not quick:
        commands.append(clean(project, label, quick, out, data, "--test"))
    if not quick:
        commands.append(clean(project, label, quick, out, data, "--release"))
    return commands


def gix_workspace() -> Path:
    ws = cache() / "bench/gix-ws"
    if not (ws / "crates/gix").exists():
        subprocess.run([sys.executable, str(BENCH / "gix_workspace.py"), str(ws)], check=True)
    return ws


def ripgrep_workspace() -> Path:
    ripgrep_source()
    ws = cache() / "bench/ripgrep-ws"
    subprocess.run([sys.executable, str(BENCH / "ripgrep_workspace.py"), str(ws)], check=True,
                   stdout=subprocess.DEVNULL)
    return ws


def rebuilds(ws: Path, name: str, edits, quick: bool, out: Path, data: Path) -> list[list[str]]:
    runs = ["--runs", "2" if quick else "4"]
    commands = []
    for profile in ([], ["--release"]) if not quick else ([],):
        for label, file, find, replace, *then in edits:
            commands.append([sys.executable, str(BENCH / "rebuild.py"), str(ws), file, find,
                             replace, *runs, *profile, "--label", f"{name}: {label}",
                             "--out", str(out), "--json", str(data),
                             *(["--then", *then[0]] if then else [])])
    return commands


# Edits that keep the interface, in a low crate of each real workspace; optionally followed by an
# edit of a dependent (`rebuild.py --then`), whose build reuses the dependent's incremental cache.
RIPGREP_EDITS = [
    ("grep-matcher, BitSet's Debug body", "crates/grep-matcher/src/lib.rs",
     "fmtd.entry(&b);", "fmtd.entry(&(b ^ 0));",
     ("crates/core/main.rs", "        stdout.write_all(b\": \")?;\n",
      "        stdout.write_all(b\":\")?;\n        stdout.write_all(b\" \")?;\n")),
    ("grep-searcher, private replace_bytes body", "crates/grep-searcher/src/line_buffer.rs",
     "    bytes[first_pos] = replacement;\n", "    bytes[first_pos] = replacement ^ 0;\n"),
]
GIX_EDITS = [
    ("gix-date, private parse_flexible_offset body", "crates/gix-date/src/parse/git.rs",
     '    if offset == "Z" {\n', '    if offset == "Z" || offset == "z" {\n'),
]


def sccache_rebuild(quick: bool, out: Path, data: Path) -> list[list[str]]:
    """ripgrep behind sccache: cold and warm caches, and the first RIPGREP_EDITS edit."""
    ws = ripgrep_workspace()
    label, file, find, replace, *_ = RIPGREP_EDITS[0]
    return [[sys.executable, str(BENCH / "sccache_rebuild.py"), str(ws), file, find, replace,
             "--runs", "1" if quick else "2", "--label", f"ripgrep under sccache: {label}",
             "--out", str(out)]]


def corpus_rebuild(quick: bool, out: Path, data: Path) -> list[list[str]]:
    ws = cache() / "bench/synthetic/corpus"
    runs = ["--runs", "1" if quick else "2"]
    return [[sys.executable, str(BENCH / "corpus_rebuild.py"), str(ws), *runs, *profile,
             "--out", str(out), "--json", str(data)]
            for profile in (([], ["--release"]) if not quick else ([],))]


WORKLOADS = {
    "synthetic": synthetic,
    "ripgrep-clean": lambda quick, out, data: real_clean(ripgrep_source(), "ripgrep", quick, out,
                                                         data),
    "gix-clean": lambda quick, out, data: real_clean(gix_workspace(), "gix", quick, out, data,
                                                     tests_in_quick=False),
    "corpus-rebuild": corpus_rebuild,
    "ripgrep-rebuild": lambda quick, out, data: rebuilds(ripgrep_workspace(), "ripgrep",
                                                         RIPGREP_EDITS, quick, out, data),
    "gix-rebuild": lambda quick, out, data: rebuilds(gix_workspace(), "gix", GIX_EDITS, quick,
                                                     out, data),
    "sccache-rebuild": sccache_rebuild,
    "ripgrep-releases": lambda quick, out, data: [
        [sys.executable, str(BENCH / "ripgrep_releases.py"), "--out", str(out),
         *(["--profiles", "dev"] if quick else [])]
    ],
    "header-overhead": lambda quick, out, data: [
        [sys.executable, str(BENCH / "header_overhead.py"), "--runs", "2" if quick else "3",
         "--profile", profile, "--out", str(out)]
        for profile in (["dev"] if quick else ["dev", "release"])
    ],
}


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rounds", type=int, help="clean builds: this many rounds, no warm-up")
    ap.add_argument("workloads", nargs="*", metavar="WORKLOAD")
    args = ap.parse_args()
    global ROUNDS
    ROUNDS = args.rounds
    names = args.workloads or list(WORKLOADS)
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        ap.error(f"unknown workload {', '.join(unknown)}; known: {', '.join(WORKLOADS)}")

    today = datetime.date.today().isoformat()
    measured_commit = commit()  # the commit measured, not the one checked out when the run ends
    results = BENCH / "results"
    results.mkdir(exist_ok=True)
    suffix = "-quick" if args.quick else f"-{args.rounds}-rounds" if args.rounds else ""
    report = results / f"{today}-{'-'.join(names)}{suffix}.md"
    data = results / f".{today}-data.json"
    data.unlink(missing_ok=True)  # left by an interrupted run: its figures are not this run's
    sections = []
    for name in names:
        print(f"[BENCH] {name}{' (quick)' if args.quick else ''}", flush=True)
        part = results / f".{today}-{name}.part.md"
        simulated = part.with_suffix(".sim.md")
        for stale in (part, simulated):
            stale.unlink(missing_ok=True)
        for command in WORKLOADS[name](args.quick, part, data):
            subprocess.run(command, check=True)
        section = f"## {name}\n\n{part.read_text()}"
        if simulated.exists():
            section += f"\n### Simulated schedules\n\n{simulated.read_text()}"
            simulated.unlink()
        sections.append(section)
        part.unlink()

    chart = ""
    if data.exists():
        svg = report.with_suffix(".svg")
        svg.write_text(chart_module.render(chart_entries(json.loads(data.read_text())),
                                           f"stock/headers, {today}{suffix}"))
        chart = f"![stock/headers per measurement]({svg.name})\n\n"
        data.unlink()
    header = (
        f"# Benchmarks, {today}\n\n"
        f"- machine: {machine()}\n"
        f"- upstream: rustc {pin()}\n"
        f"- toolchain: {toolchain()}\n"
        f"- commit: {measured_commit}\n\n"
    )
    report.write_text(header + chart + "\n".join(sections))
    print(f"[REPORT] {report.relative_to(ROOT)}")
    return 0


def chart_entries(data: list[dict]) -> list[dict]:
    """The chart's rows from the figures the workloads wrote."""
    entries = []
    for d in data:
        if "measured" in d:  # a clean build
            m, sim = d["measured"], d["simulated"]
            entries.append({"label": d["label"],
                            "ratio": m["stock"]["wall"] / m["headers"]["wall"],
                            "sim2": sim["2"]["stock"] / sim["2"]["headers"],
                            "sim16": sim["16"]["stock"] / sim["16"]["headers"]})
        else:
            entries.append(d)
    return entries


if __name__ == "__main__":
    sys.exit(main())
