#!/usr/bin/env python3
"""Generates synthetic cargo workspaces for the benchmarks.

Shapes:
  heavy-bin   a chain of LIBS libraries, each with FNS non-generic functions (codegen-heavy), under
              a binary with FNS functions of its own: stock pipelining starts the binary only
              when the last library's codegen ends, header pipelining when its header exists
  fan-in      LIBS independent libraries of FNS functions each under one binary, with tests
  chain       a chain of LIBS libraries under a small binary: libraries already pipeline in
              stock cargo, so only the binary's compile can move
  diamond     one library under LIBS side-by-side libraries under one library, under a binary
  tests       LIBS libraries in a chain, each with unit tests and TESTS integration-test targets:
              `cargo test --no-run` links LIBS * (TESTS + 1) test harnesses
  corpus      the edit corpus's library `up` (tests/run-make/header-interface-hash) under `mid`
              (the corpus's `mid.rs`) and the binary `app` (its `app.rs`), each with FNS
              functions of bulk: the workspace for rebuilds after each corpus edit

Usage: bench/gen_workspace.py SHAPE DIR [--libs N] [--fns N] [--tests N]
"""

import argparse
import shutil
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "tests/run-make/header-interface-hash"
SHAPES = ["heavy-bin", "fan-in", "chain", "diamond", "tests", "corpus"]


def body(prefix: str, fns: int, calls: str = "") -> str:
    out = []
    for i in range(fns):
        # Enough arithmetic and branching per function to make code generation dominate.
        out.append(
            f"pub fn {prefix}{i}(x: u64) -> u64 {{\n"
            f"    let mut acc = x ^ {i * 2654435761 % 2**32};\n"
            f"    for k in 0..(x % 7 + 3) {{\n"
            f"        acc = match acc % 5 {{\n"
            f"            0 => acc.wrapping_mul(31).rotate_left(k as u32),\n"
            f"            1 => acc ^ (acc >> 3) ^ {i},\n"
            f"            2 => acc.wrapping_add(k * {i + 1}),\n"
            f"            3 => acc.wrapping_sub(x).rotate_right(5),\n"
            f"            _ => acc.wrapping_mul(0x9E3779B97F4A7C15),\n"
            f"        }};\n"
            f"    }}\n"
            f"    acc{calls}\n"
            f"}}\n"
        )
    return "\n".join(out)


def package(root: Path, name: str, deps: list[str], src: str, kind: str,
            edition: str = "2021") -> Path:
    (root / name / "src").mkdir(parents=True, exist_ok=True)
    dep_lines = "".join(f'{d} = {{ path = "../{d}" }}\n' for d in deps)
    (root / name / "Cargo.toml").write_text(
        f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "{edition}"\n\n'
        f"[dependencies]\n{dep_lines}"
    )
    (root / name / "src" / ("main.rs" if kind == "bin" else "lib.rs")).write_text(src)
    return root / name


def kept(prefix: str, fns: int) -> str:
    """A binary keeps (and so generates code for) functions that a `#[used]` table points to."""
    names = ", ".join(f"{prefix}{i}" for i in range(fns))
    return f"\n#[used]\nstatic KEPT: [fn(u64) -> u64; {fns}] = [{names}];\n"


def workspace(root: Path, members: list[str]) -> None:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    (root / "Cargo.toml").write_text(
        "[workspace]\nresolver = \"2\"\nmembers = [" + ", ".join(f'"{m}"' for m in members) + "]\n"
    )


def binary(root: Path, deps: list[str], fns: int, tests: bool = False) -> None:
    uses = " ^ ".join(f"{d}::f{fns - 1}(n)" for d in deps)
    main = (
        body("g", fns)
        + "\nfn main() {\n    let n = std::env::args().count() as u64;\n"
        + f"    println!(\"{{}}\", {uses} ^ g0(n));\n}}\n"
    )
    if tests:
        main += "\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn runs() {\n        super::main();\n    }\n}\n"
    package(root, "app", deps, main + kept("g", fns), "bin")


def generate(shape: str, root: Path, libs: int, fns: int, tests: int) -> None:
    if shape == "corpus":
        workspace(root, ["up", "mid", "app"])
        shutil.copytree(CORPUS / "up", root / "up", dirs_exist_ok=True)
        (root / "up" / "Cargo.toml").write_text(
            '[package]\nname = "up"\nversion = "0.1.0"\nedition = "2024"\n'
        )
        package(root, "mid", ["up"], (CORPUS / "mid.rs").read_text() + body("m", fns), "lib", "2024")
        app = (CORPUS / "app.rs").read_text() + body("g", fns) + kept("g", fns)
        package(root, "app", ["up", "mid"], app, "bin", "2024")
        return
    names = [f"lib{i}" for i in range(libs)]
    workspace(root, names + ["app"])
    for i, name in enumerate(names):
        if shape in ("heavy-bin", "chain", "tests"):
            deps = names[i - 1 : i]
        elif shape == "diamond":
            deps = [] if i == 0 else names[:1] if i < libs - 1 else names[1:-1]
        else:
            deps = []
        calls = "".join(f".wrapping_add({d}::f0(x))" for d in deps)
        lib_fns = fns // 4 if shape == "tests" else fns
        src = body("f", lib_fns, calls)
        if shape == "tests":
            src += (f"\n#[cfg(test)]\nmod tests {{\n    #[test]\n    fn first() {{\n"
                    f"        assert_ne!(super::f0(3), 1);\n    }}\n}}\n")
        path = package(root, name, deps, src, "lib")
        for t in range(tests if shape == "tests" else 0):
            (path / "tests").mkdir(exist_ok=True)
            (path / "tests" / f"t{t}.rs").write_text(
                f"#[test]\nfn case{t}() {{\n    assert_ne!({name}::f{t % lib_fns}({t}), 1);\n}}\n"
            )
    if shape == "fan-in":
        binary(root, names, fns, tests=True)
    elif shape in ("heavy-bin", "diamond"):
        binary(root, names[-1:], fns)
    else:  # chain, tests: a small binary
        binary(root, names[-1:], 8)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("shape", choices=SHAPES)
    ap.add_argument("dir", type=Path)
    ap.add_argument("--libs", type=int, default=3)
    ap.add_argument("--fns", type=int, default=400)
    ap.add_argument("--tests", type=int, default=4, help="integration-test targets per library")
    args = ap.parse_args()
    generate(args.shape, args.dir, args.libs, args.fns, args.tests)
    print(f"[GENERATE] {args.shape} in {args.dir}: {args.libs} libraries, {args.fns} functions each")
    return 0


if __name__ == "__main__":
    sys.exit(main())
