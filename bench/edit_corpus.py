"""The edit corpus (tests/run-make/header-interface-hash/edits.txt): parse it and apply edits.

The format is described at the top of the corpus file. The rustc oracle (that test's rmake.rs)
reads the same file; this module is for the benchmarks and for checking the corpus by hand.
"""

import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS_DIR = os.path.join(ROOT, "tests", "run-make", "header-interface-hash")
PROFILES = ("debug", "release")


class Edit:
    def __init__(self, name, verdict, description):
        self.name = name
        self.verdict = verdict  # {"debug": "unchanged"|"changed", "release": ...}
        self.description = description
        self.hunks = []  # [(path, before, after)]

    def apply(self, root):
        """Apply to a copy of the library `up/` at `root`."""
        for path, before, after in self.hunks:
            full = os.path.join(root, path)
            with open(full) as f:
                text = f.read()
            if text.count(before) != 1:
                raise ValueError(f"edit {self.name}: the text to replace must occur once in {path}")
            with open(full, "w") as f:
                f.write(text.replace(before, after, 1))


def parse_verdict(word, name):
    if "=" not in word:
        return {p: word for p in PROFILES}
    verdict = dict(part.split("=", 1) for part in word.split(","))
    if set(verdict) != set(PROFILES) or not set(verdict.values()) <= {"changed", "unchanged"}:
        raise ValueError(f"edit {name}: bad verdict {word!r}")
    return verdict


def load(path=os.path.join(CORPUS_DIR, "edits.txt")):
    edits, described = [], False
    with open(path) as f:
        for line in f.read().splitlines():
            if line.startswith("== "):
                name, verdict = line[3:].split(" ", 1)
                edits.append(Edit(name, parse_verdict(verdict.strip(), name), ""))
                described = False
                continue
            if not edits:
                continue
            edit = edits[-1]
            if not described:
                edit.description, described = line, True
            elif line.startswith("--- "):
                edit.hunks.append([line[4:], "", ""])
            elif edit.hunks:
                kind, text = line[:1], line[1:]
                hunk = edit.hunks[-1]
                if kind == " ":
                    hunk[1] += text + "\n"
                    hunk[2] += text + "\n"
                elif kind == "-":
                    hunk[1] += text + "\n"
                elif kind == "+":
                    hunk[2] += text + "\n"
                elif kind:
                    raise ValueError(f"edit {edit.name}: bad hunk line {line!r}")
    return edits


def check(rustc="rustc"):
    """Every edited tree must still compile, with its dependents (stock rustc is enough)."""
    failed = 0
    for edit in load():
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copytree(os.path.join(CORPUS_DIR, "up"), os.path.join(tmp, "up"))
            edit.apply(os.path.join(tmp, "up"))
            cmds = [
                [rustc, "--edition=2024", "--crate-type=rlib", "--crate-name=up", "up/src/lib.rs"],
                [rustc, "--edition=2024", "--crate-type=rlib", "--crate-name=mid",
                 "-L.", "--extern=up=libup.rlib", os.path.join(CORPUS_DIR, "mid.rs")],
                [rustc, "--edition=2024", "--crate-name=app", "-L.", "--extern=up=libup.rlib",
                 "--extern=mid=libmid.rlib", os.path.join(CORPUS_DIR, "app.rs")],
            ]
            for cmd in cmds:
                r = subprocess.run(cmd + ["-Awarnings"], cwd=tmp, capture_output=True, text=True)
                if r.returncode:
                    print(f"{edit.name}: {' '.join(cmd)}\n{r.stderr[:2000]}")
                    failed += 1
                    break
            else:
                print(f"{edit.name}: ok ({edit.verdict['debug']}/{edit.verdict['release']})")
    return failed


if __name__ == "__main__":
    sys.exit(1 if check(*sys.argv[1:]) else 0)
