#!/usr/bin/env python3
"""A differential fuzzer for early cutoff: generated programs, generated edits, every relink
compared with a clean build.

Each program is a workspace `up` <- `mid` <- `app` (and `app` <- `up` directly) drawn from a seed:
`up` gets a random selection of items of many kinds (private helpers behind pub fns, generic and
`#[inline]` fns, pub and private consts and const tables, statics, defaults of type parameters,
re-exports, `macro_rules!`, trait impls and default methods, enum discriminants, private fields,
panic locations, attributes), each with the uses `mid` and `app` make of it, and each with the
edits that apply to it (a value, a body, a type, a default, a re-export target, an attribute,
lines added above it). `app` prints what it observes.

Per program, in one profile (dev with incremental, as cargo defaults, or release), the edits are
replayed as a sequence on one target directory, each applied and then reverted, with
`cargo +headers build -Z header-pipelining` after each step. After every step, `app` must equal
byte for byte, and print the same as, a clean build of the same sources by stock cargo (without
the flag; a clean build per distinct source state, cached by its hash). A step where cargo only relinked (`Relinking app`)
and the result differs is UNSOUND; a difference without a cutoff is reported as DIFFERENT (an
incremental-compilation bug, not a cutoff one). Each step also records whether it was cut off,
for precision: a step whose edit cannot change anything `app` observes and which was not cut off
is a missed cutoff (reported, not a failure).

    fuzz_cutoff.py [--seed N] [--programs N] [--hours H] [--out REPORT.md] [--keep DIR]

After each step, a second build must do nothing (NOT-FRESH otherwise). Exit status 1 if any step
was UNSOUND, DIFFERENT, NOT-FRESH or FAILED, or if no step was cut off at all (then no relink was
checked). Needs the `+headers` toolchain.
"""

import argparse
import hashlib
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from rebuild import what_ran


# ---------------------------------------------------------------------------------------------
# Items: code in `up`, uses in `mid` and `app`, and edits. `{n}` is the item's number, `{k}` and
# `{k2}` its random constants; an edit is (name, find, replace, observable) on `up/src/lib.rs`,
# where `observable` says whether a correct compiler must change `app`'s output or code for it
# (False: a cutoff is expected in dev; in release, small bodies are inlined across crates, so it
# may or may not be; None: it may or may not be).

@dataclass
class Item:
    kind: str
    up: str
    app: str = ""          # statements in app's main, printing what they observe
    mid: str = ""          # items in mid (pub fns that app calls as mid::...)
    edits: list = field(default_factory=list)


def item(rng: random.Random, n: int, used: set) -> Item:
    # Constants are distinct within a program, so that every edit's text occurs once.
    def fresh(lo: int, hi: int) -> int:
        while (v := rng.randrange(lo, hi)) in used:
            pass
        used.add(v)
        return v

    k, k2 = fresh(2, 400), fresh(2, 400)
    j = fresh(k + 1, k + 400)
    kinds = [
        lambda: Item(
            "private-helper",
            f"pub fn f{n}(x: u32) -> u32 {{\n    helper{n}(x) + {k}\n}}\n\nfn helper{n}(x: u32) -> u32 {{\n    x.wrapping_mul({k2})\n}}\n",
            f'    println!("f{n} {{}}", up::f{n}(7));\n',
            # (A private body that calls a new generic or `#[inline]` fn is observable in dev:
            # with share-generics it exports the instance, and dependents link to it.)
            edits=[("private body", f"    x.wrapping_mul({k2})\n", f"    x.wrapping_mul({k2}) ^ 5\n", False),
                   ("private body, calls a new inline fn", f"    x.wrapping_mul({k2})\n", f"    x.wrapping_mul({k2}).rotate_left(3)\n", None),
                   # Moves every line below: observable where a carried body sits below.
                   ("private body, lines added", f"    x.wrapping_mul({k2})\n", f"    // two\n    // lines\n    x.wrapping_mul({k2})\n", None),
                   ("pub body", f"    helper{n}(x) + {k}\n", f"    helper{n}(x) + {j}\n", False)]),
        lambda: Item(
            "generic-fn",
            f"pub fn g{n}<T: Into<u64>>(x: T) -> u64 {{\n    x.into() * {k}\n}}\n",
            f'    println!("g{n} {{}}", up::g{n}(3u8));\n',
            f"pub fn via_g{n}(x: u16) -> u64 {{\n    up::g{n}(x)\n}}\n",
            [("generic body", f"    x.into() * {k}\n", f"    x.into() * {j}\n", True)]),
        lambda: Item(
            "inline-fn",
            f"#[inline]\npub fn i{n}(x: u32) -> u32 {{\n    x ^ {k}\n}}\n",
            f'    println!("i{n} {{}} {{}}", up::i{n}(5), mid::via_i{n}(6));\n',
            f"pub fn via_i{n}(x: u32) -> u32 {{\n    up::i{n}(x)\n}}\n",
            [("inline body", f"    x ^ {k}\n", f"    x ^ {j}\n", True),
             ("inline removed", f"#[inline]\npub fn i{n}", f"pub fn i{n}", None)]),
        lambda: Item(
            "pub-const",
            f"pub const C{n}: u32 = {k};\n",
            f'    println!("C{n} {{}}", up::C{n});\n',
            edits=[("pub const value", f"pub const C{n}: u32 = {k};", f"pub const C{n}: u32 = {j};", True)]),
        lambda: Item(
            "private-const-behind-pub",
            f"const P{n}: u32 = {k};\npub const Q{n}: u32 = P{n} * 2;\n",
            f'    println!("Q{n} {{}}", up::Q{n});\n',
            edits=[("private const feeding a pub const", f"const P{n}: u32 = {k};", f"const P{n}: u32 = {j};", True)]),
        lambda: Item(
            "private-const-table",
            f'const TABLE{n}: &[&str] = &["a{k}", "b{k2}"];\n\npub fn count{n}() -> usize {{\n    TABLE{n}.len() + TABLE{n}[0].len()\n}}\n',
            f'    println!("count{n} {{}}", up::count{n}());\n',
            edits=[("private const table grows", f'&["a{k}", "b{k2}"]', f'&["a{k}", "b{k2}", "c{j}"]', False)]),
        lambda: Item(
            "static",
            f"pub static S{n}: u32 = {k};\n",
            f'    println!("S{n} {{}}", up::S{n});\n',
            edits=[("static value", f"pub static S{n}: u32 = {k};", f"pub static S{n}: u32 = {j};", None)]),
        lambda: Item(
            "type-param-default",
            f"pub struct Slot{n}<T = u32>(pub T);\n",
            f'    println!("Slot{n} {{}}", std::mem::size_of::<up::Slot{n}>());\n',
            edits=[("default of a type parameter", f"pub struct Slot{n}<T = u32>", f"pub struct Slot{n}<T = u64>", True)]),
        lambda: Item(
            "reexport-primitive",
            f"pub use std::primitive::u8 as Byte{n};\n",
            f'    println!("Byte{n} {{}}", std::mem::size_of::<up::Byte{n}>());\n',
            edits=[("re-export of a primitive", f"pub use std::primitive::u8 as Byte{n};", f"pub use std::primitive::u16 as Byte{n};", True)]),
        lambda: Item(
            "reexport-fn",
            f"mod inner{n} {{\n    pub fn a() -> u32 {{\n        {k}\n    }}\n    pub fn b() -> u32 {{\n        {k2}\n    }}\n}}\npub use inner{n}::a as pick{n};\n",
            f'    println!("pick{n} {{}}", up::pick{n}());\n',
            edits=[("re-export target", f"pub use inner{n}::a as pick{n};", f"pub use inner{n}::b as pick{n};", True)]),
        lambda: Item(
            "macro",
            f"#[macro_export]\nmacro_rules! m{n} {{\n    ($x:expr) => {{\n        $x + {k}\n    }};\n}}\n",
            f'    println!("m{n} {{}}", up::m{n}!(1));\n',
            edits=[("macro body", f"        $x + {k}\n", f"        $x + {j}\n", True)]),
        lambda: Item(
            "trait-default-method",
            f"pub trait Tr{n} {{\n    fn v(&self) -> u32 {{\n        {k}\n    }}\n}}\n\nimpl Tr{n} for u8 {{}}\n",
            f'    println!("Tr{n} {{}}", up::Tr{n}::v(&1u8));\n',
            edits=[("trait default method body", f"    fn v(&self) -> u32 {{\n        {k}\n", f"    fn v(&self) -> u32 {{\n        {j}\n", None)]),
        lambda: Item(
            "trait-impl",
            f"pub trait Show{n} {{\n    fn show(&self) -> u32;\n}}\n\nimpl Show{n} for u32 {{\n    fn show(&self) -> u32 {{\n        self + {k}\n    }}\n}}\n",
            f'    println!("Show{n} {{}}", mid::show{n}(&4u32));\n',
            f"pub fn show{n}<T: up::Show{n}>(t: &T) -> u32 {{\n    t.show()\n}}\n",
            [("trait impl method body", f"        self + {k}\n", f"        self + {j}\n", False)]),
        lambda: Item(
            "enum-discriminant",
            f"#[derive(Clone, Copy)]\npub enum E{n} {{\n    A = {k},\n    B,\n}}\n",
            f'    println!("E{n} {{}} {{}}", up::E{n}::A as i32, up::E{n}::B as i32);\n',
            edits=[("enum discriminant", f"    A = {k},\n", f"    A = {j},\n", True)]),
        lambda: Item(
            "private-field",
            f"pub struct Rec{n} {{\n    a: u32,\n    b{n}: u8,\n}}\n\nimpl Rec{n} {{\n    pub fn new() -> Self {{\n        Rec{n} {{ a: {k}, b{n}: 1 }}\n    }}\n    pub fn sum(&self) -> u32 {{\n        self.a + u32::from(self.b{n})\n    }}\n}}\n",
            f'    println!("Rec{n} {{}} {{}}", std::mem::size_of::<up::Rec{n}>(), up::Rec{n}::new().sum());\n',
            edits=[("private field type", f"    b{n}: u8,\n", f"    b{n}: u16,\n", True)]),
        lambda: Item(
            "generic-panic-location",
            f"pub fn loc{n}<T>() -> u32 {{\n    line!() + {k}\n}}\n",
            f'    println!("loc{n} {{}}", up::loc{n}::<u8>());\n',
            edits=[]),  # moved by the line-shift edits below
        lambda: Item(
            "track-caller",
            f"#[track_caller]\npub fn caller{n}() -> u32 {{\n    std::panic::Location::caller().line() + {k}\n}}\n",
            f'    println!("caller{n} {{}}", up::caller{n}());\n',
            edits=[("track_caller removed", f"#[track_caller]\npub fn caller{n}", f"pub fn caller{n}", True)]),
        lambda: Item(
            "cold-attr",
            f"pub fn warm{n}(x: u32) -> u32 {{\n    x + {k}\n}}\n",
            f'    println!("warm{n} {{}}", up::warm{n}(2));\n',
            edits=[("#[cold] added", f"pub fn warm{n}(x: u32)", f"#[cold]\npub fn warm{n}(x: u32)", None),
                   ("#[inline(never)] added", f"pub fn warm{n}(x: u32)", f"#[inline(never)]\npub fn warm{n}(x: u32)", None)]),
        lambda: Item(
            "closure-generic",
            f"pub fn apply{n}<F: Fn(u32) -> u32>(f: F) -> u32 {{\n    f({k})\n}}\n",
            f'    println!("apply{n} {{}}", up::apply{n}(|x| x * 3));\n',
            edits=[("generic caller of a closure", f"    f({k})\n", f"    f({j})\n", True)]),
        lambda: Item(
            "private-fn-added",
            f"pub fn base{n}() -> u32 {{\n    {k}\n}}\n",
            f'    println!("base{n} {{}}", up::base{n}());\n',
            edits=[("private fn added", f"pub fn base{n}() -> u32 {{\n", f"#[allow(dead_code)]\nfn extra{n}() -> u32 {{\n    {j}\n}}\n\npub fn base{n}() -> u32 {{\n", None)]),
        lambda: Item(
            "pub-crate-const-in-body",
            f"pub(crate) const LIMIT{n}: u32 = {k};\n\npub fn limited{n}(x: u32) -> u32 {{\n    x.min(LIMIT{n})\n}}\n",
            f'    println!("limited{n} {{}}", up::limited{n}(1000));\n',
            edits=[("pub(crate) const read by a non-generic body", f"pub(crate) const LIMIT{n}: u32 = {k};", f"pub(crate) const LIMIT{n}: u32 = {j};", False)]),
        lambda: Item(
            "size-of-const",
            f"pub struct Buf{n}(pub [u8; {k}]);\npub const BUF{n}: usize = std::mem::size_of::<Buf{n}>();\n",
            f'    println!("BUF{n} {{}}", up::BUF{n});\n',
            edits=[("array length in a pub type", f"pub struct Buf{n}(pub [u8; {k}]);", f"pub struct Buf{n}(pub [u8; {j}]);", True)]),
        lambda: Item(
            "track-caller-fn-ptr",
            f"#[track_caller]\npub fn tcp{n}() -> u32 {{\n    std::panic::Location::caller().line() + {k}\n}}\n",
            f'    let tcp{n}: fn() -> u32 = up::tcp{n};\n    println!("tcp{n} {{}}", tcp{n}());\n',
            # Through a fn pointer the caller's location is the reify shim's: the fn's own
            # definition, which moves with a line above it.
            edits=[("line above a #[track_caller] fn used as a pointer", f"#[track_caller]\npub fn tcp{n}",
                    f"// moved\n#[track_caller]\npub fn tcp{n}", True)]),
        lambda: Item(
            "collapsed-macro",
            f"pub fn cm{n}<T: Into<u32>>(x: T) -> u32 {{\n    mac{n}::outer!(x.into())\n}}\n\n"
            f"mod mac{n} {{\n    #[collapse_debuginfo(yes)]\n    macro_rules! inner {{\n        ($a:expr) => {{\n"
            f"            $a + {k}\n        }};\n    }}\n    macro_rules! outer {{\n        ($a:expr) => {{{{\n"
            f"            let v = $a;\n            $crate::mac{n}::inner!(v)\n        }}}};\n    }}\n"
            f"    pub(crate) use {{inner, outer}};\n}}\n",
            f'    println!("cm{n} {{}}", up::cm{n}(2u8));\n',
            # Only the debuginfo line of the addition in `cm`'s instances moves: the intermediate
            # call site, where `inner`'s debuginfo collapses to (observable in dev).
            edits=[("line inside a macro above a collapsing call", f"            let v = $a;\n            $crate::mac{n}::inner!(v)",
                    f"            let v = $a;\n\n            $crate::mac{n}::inner!(v)", None)]),
    ]
    chosen = rng.choice(kinds)()
    # `mid` uses the item too, in a non-generic fn that `app` calls: a cut-off `mid` that kept
    # stale code of `up` (inlined across crates in release, or a const's value) must show.
    via = {
        "private-helper": ("u32", f"up::f{n}(9)"),
        "generic-fn": ("u64", f"via_g{n}(4)"),
        "pub-const": ("u32", f"up::C{n} + 1"),
        "private-const-behind-pub": ("u32", f"up::Q{n} + 1"),
        "private-const-table": ("usize", f"up::count{n}()"),
        "static": ("u32", f"up::S{n}"),
        "type-param-default": ("usize", f"std::mem::size_of::<up::Slot{n}>()"),
        "reexport-primitive": ("usize", f"std::mem::size_of::<up::Byte{n}>()"),
        "reexport-fn": ("u32", f"up::pick{n}()"),
        "macro": ("u32", f"up::m{n}!(2)"),
        "trait-default-method": ("u32", f"up::Tr{n}::v(&2u8)"),
        "enum-discriminant": ("i32", f"up::E{n}::A as i32"),
        "private-field": ("u32", f"up::Rec{n}::new().sum()"),
        "generic-panic-location": ("u32", f"up::loc{n}::<u16>()"),
        "track-caller": ("u32", f"up::caller{n}()"),
        "cold-attr": ("u32", f"up::warm{n}(3)"),
        "closure-generic": ("u32", f"up::apply{n}(|x| x + 1)"),
        "private-fn-added": ("u32", f"up::base{n}()"),
        "pub-crate-const-in-body": ("u32", f"up::limited{n}(7)"),
        "size-of-const": ("usize", f"up::BUF{n}"),
        "track-caller-fn-ptr": ("u32", f"(up::tcp{n} as fn() -> u32)()"),
        "collapsed-macro": ("u32", f"up::cm{n}(5u16)"),
    }.get(chosen.kind)
    if via:
        ty, expr = via
        chosen.mid += f"pub fn mid{n}() -> {ty} {{\n    {expr}\n}}\n"
        chosen.app += f'    println!("mid{n} {{}}", mid::mid{n}());\n'
    return chosen


LINE_SHIFT = ("lines added at the top", "//! up\n", "//! up\n\n// Two lines\n// above everything.\n", None)


def program(seed: int) -> tuple[dict, list, str]:
    """The workspace files and the edits of program `seed`."""
    rng = random.Random(seed)
    used: set = set()
    chosen = [item(rng, n, used) for n in range(rng.randrange(4, 9))]
    up = "//! up\n\n" + "\n".join(i.up for i in chosen)
    mid = "".join(i.mid for i in chosen) or "pub fn nothing() {}\n"
    main = ("fn main() {\n    let _ = mid::nothing_used();\n" + "".join(i.app for i in chosen)
            + "}\n")
    mid += "pub fn nothing_used() -> u32 {\n    0\n}\n"
    profile = rng.choice(["dev", "release"])
    files = {
        "Cargo.toml": '[workspace]\nmembers = ["up", "mid", "app"]\nresolver = "2"\n',
        "up/Cargo.toml": '[package]\nname = "up"\nversion = "0.1.0"\nedition = "2021"\n',
        "up/src/lib.rs": up,
        "mid/Cargo.toml": '[package]\nname = "mid"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nup = { path = "../up" }\n',
        "mid/src/lib.rs": mid,
        "app/Cargo.toml": '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nup = { path = "../up" }\nmid = { path = "../mid" }\n',
        "app/src/main.rs": main,
    }
    edits = [(i.kind, *e) for i in chosen for e in i.edits]
    edits.append(("file", *LINE_SHIFT))
    rng.shuffle(edits)
    return files, edits, profile


# ---------------------------------------------------------------------------------------------
# Building and comparing

class Runner:
    def __init__(self, work: Path):
        self.work = work
        self.clean_cache: dict[str, tuple[bytes, str]] = {}

    def cargo(self, ws: Path, target: Path, profile: str, headers: bool = True) -> str:
        cmd = ["cargo", "+headers", "build", "-v", "--offline", "-p", "app"]
        if headers:
            cmd.append("-Zheader-pipelining")
        if profile == "release":
            cmd.append("--release")
        # The profile's own settings (dev: incremental), no wrapper, no flags from outside.
        env = {k: v for k, v in os.environ.items()
               if k not in ("CARGO_INCREMENTAL", "RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS")
               and not k.startswith("CARGO_UNSTABLE_") and k != "RUSTC_WORKSPACE_WRAPPER"}
        env.update(CARGO_TARGET_DIR=str(target), RUSTC_WRAPPER="")
        out = subprocess.run(cmd, cwd=ws, env=env, capture_output=True, text=True, timeout=600)
        if out.returncode:
            raise BuildFailed(out.stderr[-3000:])
        return out.stderr

    def app(self, target: Path, profile: str) -> tuple[bytes, str]:
        exe = target / ("release" if profile == "release" else "debug") / "app"
        run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
        return exe.read_bytes(), run.stdout + (f"exit {run.returncode}" if run.returncode else "")

    def clean(self, ws: Path, profile: str) -> tuple[bytes, str]:
        """A clean build of the workspace's current sources by stock cargo (without
        `-Z header-pipelining`: its binaries equal stock's byte for byte, so a miscompile that
        headers caused on both sides shows too), cached by the workspace, profile and sources."""
        h = hashlib.sha256(f"{ws}\0{profile}\0".encode())
        for p in sorted(ws.rglob("*")):
            if p.is_file() and p.suffix in (".rs", ".toml"):
                h.update(f"{p.relative_to(ws)}\0{p.stat().st_size}\0".encode() + p.read_bytes())
        key = h.hexdigest()
        if key not in self.clean_cache:
            target = self.work / "clean-target"
            shutil.rmtree(target, ignore_errors=True)
            self.cargo(ws, target, profile, headers=False)
            self.clean_cache[key] = self.app(target, profile)
        return self.clean_cache[key]


class BuildFailed(Exception):
    pass


@dataclass
class Step:
    seed: int
    profile: str
    kind: str
    edit: str
    direction: str  # "apply" or "revert"
    observable: object
    cut_off: bool
    verdict: str  # "ok", "UNSOUND", "DIFFERENT", "FAILED"
    detail: str = ""


def fuzz_program(seed: int, runner: Runner, keep: Path | None) -> list[Step]:
    files, edits, profile = program(seed)
    ws = runner.work / f"p{seed}"
    shutil.rmtree(ws, ignore_errors=True)
    for name, text in files.items():
        (ws / name).parent.mkdir(parents=True, exist_ok=True)
        (ws / name).write_text(text)
    target = runner.work / f"p{seed}-target"
    shutil.rmtree(target, ignore_errors=True)
    lib = ws / "up/src/lib.rs"
    steps = []
    try:
        runner.cargo(ws, target, profile)
    except BuildFailed as e:
        return [Step(seed, profile, "-", "first build", "-", None, False, "FAILED", e.args[0])]
    base = lib.read_text()
    for kind, name, find, replace, observable in edits:
        if base.count(find) != 1:
            continue
        for direction, text in (("apply", base.replace(find, replace)), ("revert", base)):
            time.sleep(0.02)  # the edit's mtime is later than the last build's start
            lib.write_text(text)
            try:
                stderr = runner.cargo(ws, target, profile)
                again = runner.cargo(ws, target, profile)
                clean_bin, clean_out = runner.clean(ws, profile)
            except BuildFailed as e:
                steps.append(Step(seed, profile, kind, name, direction, observable, False, "FAILED",
                                  e.args[0]))
                continue
            compiled, relinked = what_ran(stderr)
            cut_off = "app" in relinked or "app" not in compiled
            got_bin, got_out = runner.app(target, profile)
            if re.search(r"Running `|Relinking ", again):
                verdict, detail = "NOT-FRESH", "the next build ran rustc again: " + " ".join(
                    line.strip()[:160] for line in again.splitlines()
                    if "Running `" in line or "Relinking" in line or "Dirty" in line)
            elif got_bin == clean_bin and got_out == clean_out:
                verdict, detail = "ok", ""
            else:
                verdict = "UNSOUND" if cut_off else "DIFFERENT"
                detail = ("output differs: " + repr(got_out) + " vs clean " + repr(clean_out)
                          if got_out != clean_out else "same output, binary differs")
            steps.append(Step(seed, profile, kind, name, direction, observable, cut_off, verdict,
                              detail))
    if keep is None:
        shutil.rmtree(ws, ignore_errors=True)
        shutil.rmtree(target, ignore_errors=True)
    return steps


def expected_cutoff(s: "Step") -> bool:
    return s.observable is False and s.profile == "dev"


def report(steps: list[Step], programs: int, seconds: float, first_seed: int) -> str:
    bad = [s for s in steps if s.verdict != "ok"]
    lines = [f"- programs: {programs} (seeds {first_seed}–{first_seed + programs - 1}), steps: "
             f"{len(steps)}, time: {seconds / 60:.1f} min",
             f"- cut off: {sum(s.cut_off for s in steps)} of {len(steps)} steps",
             f"- UNSOUND (cut off, differs from a clean build): "
             f"{sum(s.verdict == 'UNSOUND' for s in steps)}",
             f"- DIFFERENT (recompiled, still differs): {sum(s.verdict == 'DIFFERENT' for s in steps)}",
             f"- FAILED (a build failed): {sum(s.verdict == 'FAILED' for s in steps)}",
             f"- NOT-FRESH (the build after a step ran rustc again): "
             f"{sum(s.verdict == 'NOT-FRESH' for s in steps)}",
             f"- missed cutoffs (dev, edit not observable, not cut off): "
             f"{sum(expected_cutoff(s) and not s.cut_off for s in steps)} of "
             f"{sum(expected_cutoff(s) for s in steps)}",
             ""]
    by_edit: dict[tuple, list[Step]] = {}
    for s in steps:
        by_edit.setdefault((s.kind, s.edit, s.profile), []).append(s)
    lines.append("| item: edit | profile | steps | cut off | unsound | different | failed |")
    lines.append("|---|---|---|---|---|---|---|")
    for (kind, edit, profile), group in sorted(by_edit.items()):
        lines.append(f"| {kind}: {edit} | {profile} | {len(group)} | "
                     f"{sum(s.cut_off for s in group)} | "
                     f"{sum(s.verdict == 'UNSOUND' for s in group)} | "
                     f"{sum(s.verdict == 'DIFFERENT' for s in group)} | "
                     f"{sum(s.verdict == 'FAILED' for s in group)} |")
    if bad:
        lines += ["", "Findings (seed, profile, item: edit, step):", ""]
        for s in bad[:200]:
            lines.append(f"- {s.verdict}: seed {s.seed}, {s.profile}, {s.kind}: {s.edit}, "
                         f"{s.direction}: {s.detail[:300]!s}".replace("\n", " "))
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--programs", type=int, default=10)
    ap.add_argument("--hours", type=float, help="run programs until this much time has passed")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--keep", type=Path, help="keep workspaces here")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="fuzz-cutoff-"))
    work.mkdir(parents=True, exist_ok=True)
    runner = Runner(work)
    start = time.monotonic()
    steps, done = [], 0
    while True:
        if args.hours is None and done >= args.programs:
            break
        if args.hours is not None and time.monotonic() - start > args.hours * 3600:
            break
        seed = args.seed + done
        found = fuzz_program(seed, runner, args.keep)
        steps += found
        done += 1
        bad = [s for s in found if s.verdict != "ok"]
        print(f"[FUZZ] seed {seed}: {len(found)} steps, {sum(s.cut_off for s in found)} cut off, "
              f"{len(bad)} bad" + "".join(f"\n  {s.verdict} {s.profile} {s.kind}: {s.edit} "
                                           f"({s.direction}) {s.detail[:200]}" for s in bad),
              flush=True)
    text = report(steps, done, time.monotonic() - start, args.seed)
    print(text)
    if args.out:
        args.out.write_text(text)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    if not any(s.cut_off for s in steps):
        print("fuzz: no step was cut off, so no relink was checked")
        return 1
    return 1 if any(s.verdict != "ok" for s in steps) else 0


if __name__ == "__main__":
    sys.exit(main())
