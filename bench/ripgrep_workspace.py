"""ripgrep 14.1.1 with its grep-* crates (and ignore, globset) as path dependencies.

crates.io's ripgrep package depends on the grep crates from the registry, so an edit there is not
an edit to the user's workspace. This makes the workspace a ripgrep developer has: the exact
registry versions of those crates, copied next to ripgrep and patched in with [patch.crates-io].
Everything comes from ~/.cargo/registry/src (run `./x.py bench ripgrep-clean` once to fetch it).
"""

import glob
import os
import shutil
import subprocess
import sys

PATH_CRATES = ["grep", "grep-cli", "grep-matcher", "grep-pcre2", "grep-printer", "grep-regex",
               "grep-searcher", "ignore", "globset"]


def registry_dir(name, version):
    hits = glob.glob(os.path.expanduser(f"~/.cargo/registry/src/*/{name}-{version}"))
    if not hits:
        raise SystemExit(f"{name} {version} is not in ~/.cargo/registry/src: fetch ripgrep first")
    return hits[0]


def locked_versions(lock_path):
    versions, name = {}, None
    with open(lock_path) as f:
        for line in f:
            if line.startswith("name = "):
                name = line.split('"')[1]
            elif line.startswith("version = ") and name:
                versions.setdefault(name, line.split('"')[1])
                name = None
    return versions


def make(dest, cargo="cargo"):
    """Creates (or recreates) the workspace at dest; returns its path."""
    if os.path.exists(dest):
        shutil.rmtree(dest)
    # the target directories kept beside it (timing.target_dir) belong to the old tree
    for stale in glob.glob(glob.escape(dest.rstrip("/")) + "-target-*"):
        shutil.rmtree(stale)
    shutil.copytree(registry_dir("ripgrep", "14.1.1"), dest)
    versions = locked_versions(os.path.join(dest, "Cargo.lock"))
    patch = ["", "[patch.crates-io]"]
    for name in PATH_CRATES:
        shutil.copytree(registry_dir(name, versions[name]), os.path.join(dest, "crates", name))
        patch.append(f'{name} = {{ path = "crates/{name}" }}')
    with open(os.path.join(dest, "Cargo.toml"), "a") as f:
        f.write("\n".join(patch) + "\n")
    subprocess.run([cargo, "metadata", "--offline", "--format-version=1"], cwd=dest, check=True,
                   stdout=subprocess.DEVNULL)
    return dest


if __name__ == "__main__":
    print(make(sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser("~/.cache/rust-headers/bench/ripgrep-ws")))
