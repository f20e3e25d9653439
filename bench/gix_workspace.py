"""A larger multi-crate workspace: gix 0.79.0 with its 54 gix-* crates as path dependencies.

`bench/workloads/gix` is a small binary (`gix-head`: opens the repository it runs in and prints
its HEAD commit) on gix 0.79.0 with default features, with a committed Cargo.lock (versions and
checksums, resolved for Rust 1.95). `make` copies it, fetches its dependencies through cargo once
(offline afterwards), and copies every gix crate at its locked registry version into `crates/`,
patched in with [patch.crates-io]: the workspace a gitoxide developer edits, 169 packages.
The copied crates are excluded from the workspace, so their dev-dependencies are not needed.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from ripgrep_workspace import locked_versions, registry_dir

WORKLOAD = Path(__file__).resolve().parent / "workloads" / "gix"


def make(dest: str, cargo: str = "cargo") -> str:
    if os.path.exists(dest):
        shutil.rmtree(dest)
    shutil.copytree(WORKLOAD, dest)
    subprocess.run([cargo, "+headers", "fetch", "--locked"], cwd=dest, check=True)
    versions = locked_versions(os.path.join(dest, "Cargo.lock"))
    patch = ["", "[patch.crates-io]"]
    for name in sorted(n for n in versions if n.split("-")[0] == "gix" and n != "gix-head"):
        shutil.copytree(registry_dir(name, versions[name]), os.path.join(dest, "crates", name))
        patch.append(f'{name} = {{ path = "crates/{name}" }}')
    manifest = Path(dest, "Cargo.toml")
    text = manifest.read_text().replace("[workspace]\n", '[workspace]\nexclude = ["crates"]\n')
    manifest.write_text(text + "\n".join(patch) + "\n")
    subprocess.run([cargo, "+headers", "metadata", "--offline", "--format-version=1"],
                   cwd=dest, check=True, stdout=subprocess.DEVNULL)
    return dest


if __name__ == "__main__":
    print(make(sys.argv[1] if len(sys.argv) > 1 else
               os.path.expanduser("~/.cache/rust-headers/bench/gix-ws")))
