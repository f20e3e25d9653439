#!/usr/bin/env python3
"""tidy on the patched tree, judged against the errors of the unpatched dfsg tree.

Debian's dfsg repack and its patch series make tidy report errors that have nothing to do with
rust-headers (vendored crates removed, Cargo.lock files moved aside, Debian's scripts under debian/,
no gcc submodule). Those are listed, one a line, in .ci/tidy-baseline. This step fails on any tidy
error that is not in the baseline, and says which baseline lines no longer occur so they can go.
"""

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TREE = os.environ.get("RUST_HEADERS_SRC") or os.path.expanduser("~/.cache/rust-headers/src")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def tidy_errors(output):
    errors = set()
    for line in output.splitlines():
        line = ANSI.sub("", line).rstrip()
        if not line.startswith("tidy ["):
            continue
        if line.endswith(": FAIL") or line.startswith("tidy [CI history]"):
            continue
        errors.add(line.replace(TREE, "<tree>"))
    return errors


def main():
    res = subprocess.run([sys.executable, os.path.join(TREE, "x.py"), "test", "tidy"], cwd=TREE,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    found = tidy_errors(res.stdout)
    if res.returncode != 0 and not found:
        sys.stdout.write(res.stdout[-5000:])
        print("tidy failed without reporting a check error (see above)")
        return 1
    with open(os.path.join(HERE, "tidy-baseline")) as f:
        baseline = {l.rstrip("\n") for l in f if l.strip() and not l.startswith("#")}
    new = sorted(found - baseline)
    gone = sorted(baseline - found)
    for line in gone:
        print(f"tidy: baseline error no longer reported (remove it from .ci/tidy-baseline): {line}")
    for line in new:
        print(f"tidy: NEW ERROR: {line}")
    print(f"tidy: {len(found)} errors reported, {len(found) - len(new)} of them in the dfsg baseline, {len(new)} new")
    return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main())
