"""Early cutoff in release on ripgrep's own kind of edits (issue 20): ripgrep 14.1.1's workspace with
grep-searcher 0.1.14 and ignore 0.4.23 (and the other grep crates) from crates.io as path
dependencies (bench/ripgrep_workspace.py), `cargo build --release` (ripgrep's release profile:
debug = 1, 16 codegen units, so crate-local ThinLTO), stock and `-Z header-pipelining` in two target
directories of one tree. Four edits are applied one after another, as a history is:

* the three commits of ripgrep's history that left an `rg` differing from a clean build when the
  interface hash did not cover the checksums of upstream source files (issue 20), redone on the
  registry sources: a `log::trace!` line in the private, non-generic `slice_has_bom`, a five-line
  comment in the private `replace_bytes`, a private method body in `ignore`'s walker;
* the most common commit of that history, `ignore/types: add <language>`: one entry more in the
  `pub(crate) const DEFAULT_TYPES` table, which only the non-generic `TypesBuilder::add_defaults`
  reads.

After each edit the stock build recompiles what cargo always recompiles (rustc's release builds are
reproducible, so its `rg` is a clean build's), and the header build's `rg` must equal it byte for
byte; at the end, a clean stock build of the edited tree must too. Each edit's verdict (cut off or
compiled) is stated with its reason and checked, so a change in precision shows here too."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import rebuild  # noqa: E402
import ripgrep_workspace  # noqa: E402
import run as bench_run  # noqa: E402
from timing import target_dir  # noqa: E402

CACHE = Path(os.environ.get("RUST_HEADERS_CACHE", Path.home() / ".cache/rust-headers"))

# (name, file in the workspace, text, replacement, crate compiled by the header build, reason)
EDITS = [
    ("searcher: log::trace! in slice_has_bom", "crates/grep-searcher/src/searcher/mod.rs",
     "fn slice_has_bom(slice: &[u8]) -> bool {\n",
     "fn slice_has_bom(slice: &[u8]) -> bool {\n    log::trace!(\"checking {} bytes for a BOM\", slice.len());\n",
     ["grep_searcher", "grep_printer", "grep", "rg"],
     "searcher/mod.rs also holds generic `Searcher` methods whose MIR the header carries: their "
     "spans name the file, and with crate-local ThinLTO a dependent's module hash covers the "
     "file's checksum, which the edit changes"),
    ("searcher: a comment in replace_bytes", "crates/grep-searcher/src/line_buffer.rs",
     "    if src == replacement {\n        return None;\n    }\n",
     "    // Nothing to replace when the byte is its own replacement. This is\n"
     "    // checked first so that a caller that never asks for a replacement\n"
     "    // (the common case: binary detection is off) pays nothing for the\n"
     "    // search below, which would otherwise scan the whole buffer for a\n"
     "    // byte it then leaves as it is.\n"
     "    if src == replacement {\n        return None;\n    }\n",
     ["grep_searcher", "grep_printer", "grep", "rg"],
     "line_buffer.rs holds the generic `LineBufferReader<R>`, carried in the header: its file's "
     "checksum changes"),
    ("ignore: a private method body in walk.rs", "crates/ignore/src/walk.rs",
     "let dur = std::time::Duration::from_millis(1);",
     "let dur = std::time::Duration::from_micros(1000);",
     ["ignore", "rg"],
     "walk.rs holds generic walker code carried in the header (`WalkParallel::visit`, closures "
     "of `run`): its file's checksum changes"),
    ("ignore: add a type to DEFAULT_TYPES", "crates/ignore/src/default_types.rs",
     '    (&["aidl"], &["*.aidl"]),\n',
     '    (&["ahk"], &["*.ahk", "*.ah2"]),\n    (&["aidl"], &["*.aidl"]),\n',
     ["ignore"],
     "`pub(crate) const DEFAULT_TYPES` is read only by the non-generic `add_defaults`: no type, "
     "signature or carried body of the header refers to it, so neither it nor its file is in "
     "the interface; `rg` is relinked"),
]


def cargo(ws, target, headers, *args):
    env = dict(os.environ, CARGO_TARGET_DIR=str(target_dir(ws, target)))
    cmd = ["cargo", "+headers", *args, "--release", "--offline", "-v"]
    if headers:
        cmd.append("-Zheader-pipelining")
    t = time.monotonic()
    out = subprocess.run(cmd, cwd=ws, env=env, capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.stderr[-4000:]}")
    return rebuild.what_ran(out.stderr)[0], out.stderr, time.monotonic() - t


def rg_bytes(ws, target):
    return (target_dir(ws, target) / "release/rg").read_bytes()


def main():
    bench_run.ripgrep_source()  # fetches ripgrep and its dependencies once
    ws = Path(ripgrep_workspace.make(str(CACHE / "ci-ripgrep-release-ws"), cargo="cargo"))
    for target, headers in (("stock", False), ("headers", True)):
        _, _, took = cargo(ws, target, headers, "build")
        print(f"[RGREL] clean release build, {'headers' if headers else 'stock'}: {took:.0f}s")
    if rg_bytes(ws, "stock") != rg_bytes(ws, "headers"):
        sys.exit("clean release builds of rg differ between stock and -Z header-pipelining")

    failures = []
    for name, path, old, new, expected, reason in EDITS:
        file = ws / path
        text = file.read_text()
        if text.count(old) != 1:
            sys.exit(f"{name}: the text to replace is not in {path} exactly once")
        time.sleep(1.1)
        file.write_text(text.replace(old, new))
        compiled, stderr, took = cargo(ws, "headers", True, "build")
        relinked = "Relinking ripgrep" in stderr
        stock, _, stock_took = cargo(ws, "stock", False, "build")
        same = rg_bytes(ws, "stock") == rg_bytes(ws, "headers")
        verdict = "cut off" if relinked else "compiled"
        print(f"[RGREL] {name}: headers compiled {compiled} ({verdict}) in {took:.1f}s, "
              f"stock compiled {stock} in {stock_took:.1f}s; rg {'equal' if same else 'DIFFERS'}")
        print(f"        because {reason}")
        if not same:
            failures.append(f"{name}: rg differs from stock's build of the same tree")
        if sorted(compiled) != sorted(expected):
            failures.append(f"{name}: expected {expected} compiled, got {compiled}")
        again, stderr, _ = cargo(ws, "headers", True, "build")
        if again or "Relinking" in stderr:
            failures.append(f"{name}: the next build is not fresh: {again}")

    types = subprocess.run([str(target_dir(ws, "headers") / "release/rg"), "--type-list"],
                           capture_output=True, text=True, check=True).stdout
    if "ahk: *.ah2, *.ahk" not in types:
        failures.append("the relinked rg does not know the type added to DEFAULT_TYPES")

    shutil.rmtree(target_dir(ws, "stock"))
    _, _, took = cargo(ws, "stock", False, "build")
    print(f"[RGREL] clean stock release build of the edited tree: {took:.0f}s")
    if rg_bytes(ws, "stock") != rg_bytes(ws, "headers"):
        failures.append("rg after the edits differs from a clean stock build of the edited tree")
    if failures:
        sys.exit("\n".join(failures))
    print("[RGREL] every rg equals stock's, the last a clean build's")


if __name__ == "__main__":
    main()
