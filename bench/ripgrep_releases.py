#!/usr/bin/env python3
"""Real edits from the registry: ripgrep 14.1.1's workspace (bench/ripgrep_workspace.py: its grep
crates, `ignore` and `globset` as path dependencies at the versions of its Cargo.lock), with one
library crate at a time stepped through its consecutive crates.io releases, as far as ripgrep's
manifest allows (a release of another major version, or one that needs a newer release of a crate
not yet stepped, ends that crate's steps). Each step replaces the crate's directory with the next
release and rebuilds, in the dev profile (incremental, as cargo defaults) and in ripgrep's release
profile (debug = 1, crate-local ThinLTO), stock and `-Z header-pipelining` each in its own target
directory of the one tree, interleaved. Per step: the crates rustc compiled, whether `rg` was only
relinked, wall times, and whether `rg` is byte-identical to stock's of the same profile (rustc's
builds are reproducible, so stock's incremental rebuild stands for a clean build).

Whether a release changed the stepped crate's public API is judged from its source: the multiset
of lines declaring `pub` items (with `pub(crate)`/`pub(super)` left out) and the manifest's
edition. It is a heuristic, said as such in the report; the interface hash is rustc's answer.

    ripgrep_releases.py [--out REPORT.md] [--json DATA.json] [--profiles dev,release]
"""

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ripgrep_workspace  # noqa: E402
from rebuild import what_ran  # noqa: E402
from timing import target_dir  # noqa: E402

CACHE = Path(os.environ.get("RUST_HEADERS_CACHE", Path.home() / ".cache/rust-headers"))
# Each crate's releases after the one ripgrep 14.1.1 locks, in order, as published on crates.io;
# stepped in this order (grep-matcher before grep-searcher, which needs grep-matcher 0.1.8;
# globset before ignore, which from 0.4.24 needs globset 0.4.17). grep-printer's next releases are
# 0.3 (not allowed by grep 0.3's manifest); grep-pcre2 is not built by ripgrep's default features.
RELEASES = [
    ("globset", ["0.4.16", "0.4.17", "0.4.18", "0.4.19", "0.4.20", "0.4.21"]),
    ("ignore", ["0.4.24", "0.4.25", "0.4.26", "0.4.27", "0.4.28"]),
    ("grep-matcher", ["0.1.8", "0.1.9"]),
    ("grep-searcher", ["0.1.15", "0.1.16", "0.1.17"]),
    ("grep-regex", ["0.1.14"]),
    ("grep-cli", ["0.1.12"]),
]
PROFILES = {"dev": [], "release": ["--release"]}
VARIANTS = {"stock": [], "headers": ["-Zheader-pipelining"]}


def fetch(name, version):
    """The crate's release in ~/.cargo/registry/src, fetched through a scratch manifest once."""
    try:
        return Path(ripgrep_workspace.registry_dir(name, version))
    except SystemExit:
        pass
    scratch = CACHE / "bench/releases-fetch" / f"{name}-{version}"
    (scratch / "src").mkdir(parents=True, exist_ok=True)
    (scratch / "src/lib.rs").write_text("")
    (scratch / "Cargo.toml").write_text(
        f'[package]\nname = "fetch"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n'
        f'[dependencies]\n{name} = "={version}"\n\n[workspace]\n')
    subprocess.run(["cargo", "fetch"], cwd=scratch, check=True, capture_output=True)
    return Path(ripgrep_workspace.registry_dir(name, version))


PUB_ITEM = re.compile(r"^\s*pub\s+(?:unsafe\s+|const\s+|async\s+|extern\s+\"[^\"]*\"\s+)*"
                      r"(?:fn|struct|enum|trait|type|const|static|mod|use|union|macro_rules)\b")


def api_lines(src):
    """The lines declaring `pub` items, and the edition: the heuristic's view of the API."""
    lines = collections.Counter()
    for path in sorted(Path(src).rglob("*.rs")):
        if "tests" in path.relative_to(src).parts or "benches" in path.relative_to(src).parts:
            continue
        for line in path.read_text(errors="replace").splitlines():
            if PUB_ITEM.match(line):
                lines[" ".join(line.split())] += 1
    edition = re.search(r'^edition\s*=\s*"(\d+)"', (Path(src) / "Cargo.toml").read_text(), re.M)
    lines[f"edition {edition.group(1) if edition else '2015'}"] += 1
    return lines


def build(ws, profile, variant):
    env = dict(os.environ, CARGO_TARGET_DIR=str(target_dir(ws, f"{profile}-{variant}")))
    cmd = ["cargo", "+headers", "build", "--offline", "-v", *PROFILES[profile], *VARIANTS[variant]]
    t = time.monotonic()
    out = subprocess.run(cmd, cwd=ws, env=env, capture_output=True, text=True)
    took = time.monotonic() - t
    if out.returncode:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.stderr[-4000:]}")
    compiled, relinked = what_ran(out.stderr)
    return {"wall": took, "compiled": compiled, "relinked": relinked}


def rg(ws, profile, variant):
    sub = "release" if profile == "release" else "debug"
    return (target_dir(ws, f"{profile}-{variant}") / sub / "rg").read_bytes()


def install_release(src, crate_dir, locked):
    """Copies a release into the workspace as a commit of the crate's history would leave it: its
    files new (so cargo's mtime check sees them changed), and its manifest at the version the
    workspace locks, as are its requirements on the other path crates. A version number is part of
    cargo's `-C metadata`, hence of the crate's StableCrateId and of every symbol a dependent names;
    in a real history it changes in one release commit, while the commits a release bundles are
    made at a fixed version, which is what this replays."""
    shutil.copytree(src, crate_dir, copy_function=shutil.copy)
    manifest = crate_dir / "Cargo.toml"
    section, out = None, []
    for line in manifest.read_text().splitlines():
        header = re.match(r"^\[([^\]]+)\]\s*$", line)
        if header:
            section = header.group(1)
        elif line.startswith("version = ") and section:
            # `[package]`, or `[dependencies.NAME]` and its dev-, build- and target- forms.
            *table, dep = section.replace('"', "").split(".")
            if section == "package":
                line = f'version = "{locked[crate_dir.name]}"'
            elif table and table[-1].endswith("dependencies") and dep in ripgrep_workspace.PATH_CRATES:
                line = f'version = "{locked[dep]}"'
        out.append(line)
    manifest.write_text("\n".join(out) + "\n")


def step_all(ws, profiles, label):
    row = {"step": label}
    for profile in profiles:
        for variant in VARIANTS:
            row[f"{profile}-{variant}"] = build(ws, profile, variant)
        row[f"{profile}-same"] = rg(ws, profile, "stock") == rg(ws, profile, "headers")
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--profiles", default="dev,release")
    args = ap.parse_args()
    profiles = args.profiles.split(",")

    for name, versions in RELEASES:
        for version in versions:
            fetch(name, version)
    ws = Path(ripgrep_workspace.make(str(CACHE / "bench/ripgrep-releases-ws")))
    locked = ripgrep_workspace.locked_versions(ws / "Cargo.lock")
    print("[RELEASES] clean builds", flush=True)
    first = step_all(ws, profiles, "clean")
    rows = []
    for name, versions in RELEASES:
        current = locked[name]
        for version in versions:
            crate_dir = ws / "crates" / name
            before = api_lines(crate_dir)
            time.sleep(1.1)
            shutil.rmtree(crate_dir)
            install_release(fetch(name, version), crate_dir, locked)
            api_same = api_lines(crate_dir) == before
            label = f"{name} {current} → {version}"
            print(f"[RELEASES] {label}", flush=True)
            row = step_all(ws, profiles, label)
            row.update(crate=name.replace("-", "_"), api_same=api_same)
            rows.append(row)
            for profile in profiles:
                h = row[f"{profile}-headers"]
                print(f"  {profile}: headers compiled {h['compiled']} relinked {h['relinked']}"
                      f" {h['wall']:.1f}s; stock {row[f'{profile}-stock']['wall']:.1f}s;"
                      f" rg {'equal' if row[f'{profile}-same'] else 'DIFFERS'}", flush=True)
            current = version

    lines = ["| step | API lines | " + " | ".join(
        f"{p} stock | {p} headers | {p} headers compiled | {p} rg = stock" for p in profiles) + " |",
             "|---|---|" + "---|---|---|---|" * len(profiles)]
    for row in rows:
        cells = [row["step"], "same" if row["api_same"] else "changed"]
        for p in profiles:
            s, h = row[f"{p}-stock"], row[f"{p}-headers"]
            only = h["compiled"] == [row["crate"]]
            what = (f"{row['crate']} only, relinked" if only and h["relinked"] else
                    ", ".join(h["compiled"]) or "nothing")
            cells += [f"{s['wall']:.1f}s ({len(s['compiled'])})",
                      f"{h['wall']:.1f}s ({len(h['compiled'])})", what,
                      "yes" if row[f"{p}-same"] else "**no**"]
        lines.append("| " + " | ".join(cells) + " |")
    summary = []
    for p in profiles:
        stock = sum(r[f"{p}-stock"]["wall"] for r in rows)
        headers = sum(r[f"{p}-headers"]["wall"] for r in rows)
        cut = [r for r in rows if r[f"{p}-headers"]["compiled"] == [r["crate"]]]
        same_api = [r for r in rows if r["api_same"]]
        same_api_cut = [r for r in same_api if r in cut]
        differ = [r["step"] for r in rows if not r[f"{p}-same"]]
        summary.append(
            f"- {p}: {len(rows)} steps; stock compiled {sum(len(r[f'{p}-stock']['compiled']) for r in rows)} "
            f"crates, headers {sum(len(r[f'{p}-headers']['compiled']) for r in rows)}; total rebuild "
            f"{stock:.1f}s stock, {headers:.1f}s headers: **{stock / headers:.2f}×**; only the stepped "
            f"crate compiled on {len(cut)} of {len(rows)} steps ({len(same_api_cut)} of the "
            f"{len(same_api)} whose API lines are unchanged); `rg` differs from stock's on "
            f"{len(differ)}{': ' + ', '.join(differ) if differ else ''}.")
    text = "\n".join(summary) + "\n\n" + "\n".join(lines) + "\n"
    clean = ", ".join(f"{p} {first[f'{p}-stock']['wall']:.0f}s stock / "
                      f"{first[f'{p}-headers']['wall']:.0f}s headers" for p in profiles)
    text += f"\nClean builds before the first step: {clean}. Times are one run each.\n"
    print(text)
    if args.out:
        args.out.write_text(text)
    if args.json:
        args.json.write_text(json.dumps({"clean": first, "steps": rows}, indent=1))
    bad = [r["step"] for r in rows for p in profiles if not r[f"{p}-same"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
