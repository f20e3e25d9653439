"""A real workspace with early cutoff, as a user would try it: ripgrep 14.1.1 with its grep crates
as path dependencies (bench/ripgrep_workspace.py), built with `cargo +headers build
-Z header-pipelining` (dev profile, incremental on, as cargo defaults). A private body edited in
grep-matcher must recompile grep-matcher only and relink `rg`, and `rg` must find what it finds
before the edit. Then a dependent that was cut off, grep-searcher, is edited: its incremental
compile must succeed (issue 19: it reuses what its cache holds of grep-matcher), and `rg` must equal
a clean build byte for byte. Needs ripgrep's sources from crates.io (fetched once, then offline)."""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import rebuild  # noqa: E402
import ripgrep_workspace  # noqa: E402
import run as bench_run  # noqa: E402

CACHE = Path(os.environ.get("RUST_HEADERS_CACHE", Path.home() / ".cache/rust-headers"))


def cargo(ws, *args):
    out = subprocess.run(["cargo", "+headers", *args, "--offline", "-Zheader-pipelining", "-v"], cwd=ws,
                         capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"cargo {' '.join(args)} failed:\n{out.stderr[-4000:]}")
    return rebuild.what_ran(out.stderr)[0], out.stderr


def rg(ws):
    exe = ws / "target/debug/rg"
    out = subprocess.run([str(exe), "--no-config", "-c", "fn ", str(ws / "crates/grep-matcher/src")],
                         capture_output=True, text=True, check=True)
    return sorted(out.stdout.splitlines())


def main():
    bench_run.ripgrep_source()  # fetches ripgrep and its dependencies once
    ws = Path(ripgrep_workspace.make(str(CACHE / "ci-ripgrep-ws"), cargo="cargo"))
    t = time.monotonic()
    cargo(ws, "build")
    print(f"[RG] clean build with -Z header-pipelining: {time.monotonic() - t:.0f}s")
    before = rg(ws)

    lib = ws / "crates/grep-matcher/src/lib.rs"
    text = lib.read_text()
    assert text.count("fmtd.entry(&b);") == 1
    time.sleep(1.1)
    lib.write_text(text.replace("fmtd.entry(&b);", "fmtd.entry(&(b ^ 0));"))
    t = time.monotonic()
    compiled, stderr = cargo(ws, "build")
    took = time.monotonic() - t
    print(f"[RG] after a private body edit in grep-matcher: compiled {compiled} in {took:.1f}s")
    if compiled != ["grep_matcher"] or "Relinking ripgrep" not in stderr:
        sys.exit(f"expected only grep_matcher compiled and ripgrep relinked:\n{stderr[-4000:]}")
    if rg(ws) != before:
        sys.exit("rg finds something else after the relink")
    compiled, stderr = cargo(ws, "build")
    if compiled or "Relinking" in stderr:
        sys.exit(f"the next build is not fresh:\n{stderr[-3000:]}")
    print("[RG] rg relinked, same results, next build fresh")

    searcher = ws / "crates/grep-searcher/src/lib.rs"
    text = searcher.read_text()
    assert text.count("\nmod searcher;") == 1
    time.sleep(1.1)
    searcher.write_text(text.replace(
        "\nmod searcher;", "\nmod searcher;\n\n#[doc(hidden)]\npub fn header_ci_marker() -> u64 {\n    7\n}", 1))
    compiled, stderr = cargo(ws, "build")
    if "grep_searcher" not in compiled:
        sys.exit(f"grep-searcher was not compiled after its edit:\n{stderr[-4000:]}")
    print(f"[RG] after an edit of grep-searcher, a dependent cut off before: compiled {compiled}")
    compiled, stderr = cargo(ws, "build")
    if compiled or "Relinking" in stderr:
        sys.exit(f"the next build is not fresh:\n{stderr[-3000:]}")
    rebuilt = (ws / "target/debug/rg").read_bytes()
    subprocess.run(["cargo", "+headers", "clean", "--offline"], cwd=ws, check=True, capture_output=True)
    cargo(ws, "build")
    if (ws / "target/debug/rg").read_bytes() != rebuilt:
        sys.exit("rg after the edits differs from a clean build")
    print("[RG] rg equals a clean build of the edited tree")


if __name__ == "__main__":
    main()
