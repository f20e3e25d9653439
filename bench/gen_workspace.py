#!/usr/bin/env python3
"""Generates synthetic cargo workspaces for the benchmarks.

Shapes:
  heavy-bin   a chain of LIBS libraries, each with FNS non-generic functions (codegen-heavy), under
              a binary with FNS functions of its own: stock pipelining starts the binary only
              when the last library's codegen ends, header pipelining when its header exists
  fan-in      LIBS independent libraries of FNS functions each under one binary, with tests

Usage: bench/gen_workspace.py SHAPE DIR [--libs N] [--fns N]
"""

import argparse
import shutil
import sys
from pathlib import Path


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


def package(root: Path, name: str, deps: list[str], src: str, kind: str) -> None:
    (root / name / "src").mkdir(parents=True)
    dep_lines = "".join(f'{d} = {{ path = "../{d}" }}\n' for d in deps)
    (root / name / "Cargo.toml").write_text(
        f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "2021"\n\n'
        f"[dependencies]\n{dep_lines}"
    )
    (root / name / "src" / ("main.rs" if kind == "bin" else "lib.rs")).write_text(src)


def generate(shape: str, root: Path, libs: int, fns: int) -> None:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    members = [f"lib{i}" for i in range(libs)] + ["app"]
    (root / "Cargo.toml").write_text(
        "[workspace]\nresolver = \"2\"\nmembers = [" + ", ".join(f'"{m}"' for m in members) + "]\n"
    )
    for i in range(libs):
        deps = [f"lib{i - 1}"] if shape == "heavy-bin" and i > 0 else []
        calls = f".wrapping_add(lib{i - 1}::f0(x))" if deps else ""
        package(root, f"lib{i}", deps, body("f", fns, calls), "lib")
    app_deps = [f"lib{libs - 1}"] if shape == "heavy-bin" else [f"lib{i}" for i in range(libs)]
    uses = " ^ ".join(f"{d}::f{fns - 1}(n)" for d in app_deps)
    main = (
        body("g", fns)
        + "\nfn main() {\n    let n = std::env::args().count() as u64;\n"
        + f"    println!(\"{{}}\", {uses} ^ g0(n));\n}}\n"
    )
    if shape == "fan-in":
        main += "\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn runs() {\n        super::main();\n    }\n}\n"
    package(root, "app", app_deps, main, "bin")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("shape", choices=["heavy-bin", "fan-in"])
    ap.add_argument("dir", type=Path)
    ap.add_argument("--libs", type=int, default=3)
    ap.add_argument("--fns", type=int, default=400)
    args = ap.parse_args()
    generate(args.shape, args.dir, args.libs, args.fns)
    print(f"[GENERATE] {args.shape} in {args.dir}: {args.libs} libraries, {args.fns} functions each")
    return 0


if __name__ == "__main__":
    sys.exit(main())
