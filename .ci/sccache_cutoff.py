"""Headers behind sccache and sccache-dist (issue 22), as a team would run them: `RUSTC_WRAPPER`
set to the pinned sccache (bench/sccache.py installs it into the cache directory), `cargo +headers
build -Z header-pipelining`, dev profile without incremental (sccache does not cache incremental
compiles, so cargo users of sccache turn it off).

On a small workspace `a` <- `b` <- `c` <- `app`, once through a local sccache server and once
through sccache-dist on loopback (a scheduler and a build server under bubblewrap, started and
stopped here):

1. a cold build: every library a cache miss (under dist, at least one compiled by the build
   server), `app` equal byte for byte to a build without sccache;
2. `cargo clean`, then a warm build: every library a cache hit, and the artifacts equal again;
   the next build is fresh (cargo recorded the interface hashes from sccache's replayed output);
3. a private body edit in `a`: only `a` compiled, `b` and `c` cut off, `app` relinked, equal to a
   clean build of the edited tree without sccache;
4. the edit reverted: `a` a cache hit, `b` and `c` cut off again, `app` relinked, equal to the
   build of step 1; the next build is fresh.

`--local` or `--dist` runs one half. Needs bubblewrap for the build server (installed by apt if
missing)."""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import rebuild  # noqa: E402
import sccache  # noqa: E402

LIBS = ["a", "b", "c"]
FILES = {
    "Cargo.toml": '[workspace]\nmembers = ["a", "b", "c", "app"]\nresolver = "2"\n',
    "a/Cargo.toml": '[package]\nname = "a"\nversion = "0.1.0"\nedition = "2021"\n',
    "a/src/lib.rs": """\
//! The bottom crate: a checksum with a private mixing step.

pub struct Checksum {
    state: u32,
}

impl Checksum {
    pub fn new() -> Self {
        Checksum { state: 17 }
    }

    pub fn update(&mut self, data: &[u8]) {
        for &b in data {
            self.state = mix(self.state, b);
        }
    }

    pub fn value(&self) -> u32 {
        self.state
    }
}

fn mix(state: u32, b: u8) -> u32 {
    state.wrapping_mul(31) ^ u32::from(b)
}
""",
    "b/Cargo.toml": '[package]\nname = "b"\nversion = "0.1.0"\nedition = "2021"\n\n'
                    '[dependencies]\na = { path = "../a" }\n',
    "b/src/lib.rs": """\
pub fn digest(words: &[&str]) -> Vec<(String, u32)> {
    words
        .iter()
        .map(|w| {
            let mut c = a::Checksum::new();
            c.update(w.as_bytes());
            (w.to_string(), c.value())
        })
        .collect()
}
""",
    "c/Cargo.toml": '[package]\nname = "c"\nversion = "0.1.0"\nedition = "2021"\n\n'
                    '[dependencies]\na = { path = "../a" }\nb = { path = "../b" }\n',
    "c/src/lib.rs": """\
pub fn report(words: &[&str]) -> String {
    let mut total = a::Checksum::new();
    let mut out = String::new();
    for (w, v) in b::digest(words) {
        total.update(&v.to_le_bytes());
        out.push_str(&format!("{w} {v:08x}\\n"));
    }
    out.push_str(&format!("total {:08x}\\n", total.value()));
    out
}
""",
    "app/Cargo.toml": '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n'
                      '[dependencies]\nc = { path = "../c" }\n',
    "app/src/main.rs": """\
fn main() {
    print!("{}", c::report(&["header", "pipelining", "sccache"]));
}
""",
}
EDIT = ("    state.wrapping_mul(31) ^ u32::from(b)\n",
        "    state.wrapping_mul(33) ^ u32::from(b)\n")


def fail(msg: str) -> None:
    sys.exit(f"sccache: {msg}")


def std_source_remap() -> str:
    """`--remap-path-prefix` that writes std's sources as the build server does.

    A bootstrap sysroot has `lib/rustlib/src/rust`, so a local rustc writes std's real source
    paths into debuginfo; sccache-dist ships the toolchain without it, so the build server's rustc
    writes the virtual prefix (Debian's `/usr/src/rustc-<version>`). Not a header matter: a rustup
    toolchain with the rust-src component differs the same way. Both sides get this flag."""
    sysroot = Path(subprocess.run(["rustc", "+headers", "--print", "sysroot"], check=True,
                                  capture_output=True, text=True).stdout.strip())
    real = (sysroot / "lib/rustlib/src/rust").resolve()
    release = subprocess.run(["rustc", "+headers", "-vV"], check=True, capture_output=True,
                             text=True).stdout
    version = re.search(r"^release: (\d+\.\d+\.\d+)", release, re.M).group(1)
    virtual = f"/usr/src/rustc-{version}"
    core = next((sysroot / "lib/rustlib/x86_64-unknown-linux-gnu/lib").glob("libcore-*.rlib"))
    if f"{virtual}/library/core".encode() not in core.read_bytes():
        fail(f"std's virtual source prefix is not {virtual} ({core} does not name it)")
    return f"--remap-path-prefix={real}={virtual}"


class Workspace:
    def __init__(self, root: Path, rustflags: str = ""):
        self.root = root
        self.rustflags = rustflags
        shutil.rmtree(root, ignore_errors=True)
        for name, text in FILES.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)

    def cargo(self, target: str, env: dict, *args: str) -> str:
        env = {**env, "CARGO_TARGET_DIR": str(self.root / target)}
        if self.rustflags:
            env["RUSTFLAGS"] = self.rustflags
        out = subprocess.run(["cargo", "+headers", *args, "--offline", "-Zheader-pipelining",
                              "-v"], cwd=self.root, env=env, capture_output=True, text=True,
                             timeout=900)
        if out.returncode:
            fail(f"cargo {' '.join(args)} ({target}) failed:\n{out.stderr[-4000:]}")
        return out.stderr

    def plain(self, target: str) -> bytes:
        """A clean build without sccache; returns `app`."""
        # An empty RUSTC_WRAPPER also overrides a wrapper in cargo's config. (An empty
        # RUSTC_WORKSPACE_WRAPPER would not be "none": it changes the units' metadata hashes.)
        env = {k: v for k, v in os.environ.items() if k != "RUSTC_WORKSPACE_WRAPPER"}
        env.update(RUSTC_WRAPPER="", CARGO_INCREMENTAL="0")
        shutil.rmtree(self.root / target, ignore_errors=True)
        self.cargo(target, env, "build")
        return self.app(target)

    def app(self, target: str) -> bytes:
        return (self.root / target / "debug/app").read_bytes()

    def edit(self, find: str, replace: str) -> None:
        lib = self.root / "a/src/lib.rs"
        text = lib.read_text()
        if text.count(find) != 1:
            fail(f"the edit's text is not in {lib} once")
        time.sleep(1.1)  # cargo compares mtimes
        lib.write_text(text.replace(find, replace))


def what_ran(stderr: str) -> tuple[list[str], list[str], list[str]]:
    """Crates rustc was run for (through the wrapper), packages relinked (as bench/rebuild.py
    reads them), and units cut off."""
    compiled, relinked = rebuild.what_ran(stderr)
    cut_off = re.findall(r"^\s*Fresh (\S+) .*\(interfaces? of `.*` unchanged\)", stderr, re.M)
    return compiled, relinked, sorted(cut_off)


def expect(what: str, got, want) -> None:
    if got != want:
        fail(f"{what}: {got}, expected {want}")


def sequence(ws: Workspace, server: sccache.Local, mode: str, remote_log: Path | None) -> None:
    reference = ws.plain("t-plain")

    server.zero()
    started = time.monotonic()
    stderr = ws.cargo("t", server.env, "build")
    stats = server.stats()
    sccache.log("SCCACHE", f"{mode}: cold build in {time.monotonic() - started:.1f}s, "
                f"{stats['misses']} misses, {stats['hits']} hits, dist {stats['dist']}")
    expect("cold build, crates compiled", what_ran(stderr)[0], sorted(LIBS + ["app"]))
    expect("cold build, cache misses", stats["misses"], len(LIBS))
    expect("cold build, cache hits", stats["hits"], 0)
    if mode == "dist":
        # Every miss compiled by the build server, none fallen back to a local compile.
        expect("cold build, compiles on the build server", sum(stats["dist"].values()), len(LIBS))
        expect("cold build, dist errors", stats["dist_errors"], 0)
        sccache.log("DIST", f"units built by the build server: {', '.join(remote_units(remote_log))}")
    if ws.app("t") != reference:
        fail("the cold build's app differs from a build without sccache")

    shutil.rmtree(ws.root / "t")
    server.zero()
    stderr = ws.cargo("t", server.env, "build")
    stats = server.stats()
    expect("warm build, crates run", what_ran(stderr)[0], sorted(LIBS + ["app"]))
    expect("warm build, cache hits", stats["hits"], len(LIBS))
    expect("warm build, cache misses", stats["misses"], 0)
    if ws.app("t") != reference:
        fail("the warm build's app differs from a build without sccache")
    fresh(ws, server, "after the warm build")
    sccache.log("SCCACHE", f"{mode}: warm build: {stats['hits']} hits, app identical, next build fresh")

    ws.edit(*EDIT)
    server.zero()
    stderr = ws.cargo("t", server.env, "build")
    compiled, relinked, cut_off = what_ran(stderr)
    stats = server.stats()
    if os.environ.get("SCCACHE_TEST_DEBUG"):
        print(stderr)
    expect("private edit, crates compiled", compiled, ["a"])
    expect("private edit, relinked", relinked, ["app"])
    expect("private edit, cut off", cut_off, ["b", "c"])
    expect("private edit, cache misses", stats["misses"], 1)
    expect("private edit, cache hits", stats["hits"], 0)
    if mode == "dist":
        expect("private edit, compiles on the build server", sum(stats["dist"].values()), 1)
        expect("private edit, dist errors", stats["dist_errors"], 0)
    edited = ws.plain("t-plain")
    if edited == reference:
        fail("the edit did not change app")
    if ws.app("t") != edited:
        fail("after the private edit, the relinked app differs from a clean build")
    fresh(ws, server, "after the private edit")
    sccache.log("SCCACHE", f"{mode}: private edit in a: compiled a (miss, dist {stats['dist']}), "
                "cut off b and c, relinked app, equal to a clean build")

    ws.edit(EDIT[1], EDIT[0])
    server.zero()
    compiled, relinked, cut_off = what_ran(ws.cargo("t", server.env, "build"))
    stats = server.stats()
    expect("edit reverted, crates run", compiled, ["a"])
    expect("edit reverted, cache hits", stats["hits"], 1)
    expect("edit reverted, cache misses", stats["misses"], 0)
    expect("edit reverted, relinked", relinked, ["app"])
    expect("edit reverted, cut off", cut_off, ["b", "c"])
    if ws.app("t") != reference:
        fail("after the revert, the relinked app differs from the first build")
    fresh(ws, server, "after the revert")
    sccache.log("SCCACHE", f"{mode}: edit reverted: a a cache hit, b and c cut off, app relinked, "
                "equal to the first build")


def fresh(ws: Workspace, server: sccache.Local, when: str) -> None:
    compiled, relinked, _ = what_ran(ws.cargo("t", server.env, "build"))
    if compiled or relinked:
        fail(f"the build {when} is not fresh: compiled {compiled}, relinked {relinked}")


def remote_units(client_log: Path | None) -> list[str]:
    """The outputs the client sent to the build server ("[<output>]: Running job")."""
    if not client_log or not client_log.exists():
        return []
    return sorted({m.group(1) for m in re.finditer(r"\[([^\]]+)\]: Running job",
                                                   client_log.read_text(errors="replace"))})


def ensure_bwrap() -> None:
    if shutil.which("bwrap"):
        return
    sccache.log("APT", "bubblewrap (sccache-dist's build server sandbox)")
    subprocess.run(["apt-get", "update", "-q"], check=True, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "-q", "bubblewrap"], check=True,
                   capture_output=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    half = ap.add_mutually_exclusive_group()
    half.add_argument("--local", action="store_true")
    half.add_argument("--dist", action="store_true")
    args = ap.parse_args()
    bin_dir = sccache.install()
    with tempfile.TemporaryDirectory(prefix="headers-sccache-") as tmp:
        tmp = Path(os.environ.get("SCCACHE_TEST_KEEP") or tmp)
        if not args.dist:
            ws = Workspace(tmp / "local-ws")
            with sccache.Local(tmp / "local", bin_dir) as server:
                sequence(ws, server, "local", None)
        if not args.local:
            ensure_bwrap()
            ws = Workspace(tmp / "dist-ws", std_source_remap())
            with sccache.Dist(tmp / "dist", bin_dir, deadline=1200) as dist:
                client = sccache.Local(tmp / "dist-client", bin_dir, dist.client_config)
                client.env["SCCACHE_LOG"] = "info,sccache::compiler::compiler=debug"
                with client:
                    dist.wait_ready(client)
                    sequence(ws, client, "dist", Path(client.env["SCCACHE_ERROR_LOG"]))
    print("sccache: headers cached, restored and cut off through "
          + ("sccache" if args.local else "sccache-dist" if args.dist else "sccache and sccache-dist"))


if __name__ == "__main__":
    main()
