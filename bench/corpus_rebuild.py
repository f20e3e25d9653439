#!/usr/bin/env python3
"""Rebuilds after each edit of the edit corpus, applied to the low crate of a generated workspace.

The workspace is `gen_workspace.py corpus`: the corpus's library `up` under `mid` and the binary
`app`, both with functions of bulk so that recompiling them costs what it does in a real project.
For each edit (tests/run-make/header-interface-hash/edits.txt), `rebuild.py` times interleaved
rebuilds, stock against -Z header-pipelining, after the edit is applied and reverted in turn. The
report's row says the corpus's verdict for the profile: an `unchanged` edit must compile `up`
alone and relink `app` under headers, a `changed` one compiles all three as stock does; a row
where that does not hold is marked.

Usage: bench/corpus_rebuild.py WORKSPACE [--runs N] [--release] [--fns N] [--only NAME,...]
       [--out REPORT.md] [--json DATA.json]
"""

import argparse
import shutil
import sys
from pathlib import Path

import edit_corpus
import gen_workspace
import rebuild


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workspace", type=Path)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--release", action="store_true")
    ap.add_argument("--fns", type=int, default=800)
    ap.add_argument("--only", help="comma-separated edit names")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    gen_workspace.generate("corpus", args.workspace, 0, args.fns, 0)
    up = args.workspace / "up"
    pristine = args.workspace.parent / f"{args.workspace.name}-up-pristine"
    shutil.rmtree(pristine, ignore_errors=True)
    shutil.copytree(up, pristine)

    def revert() -> None:
        for f in pristine.rglob("*.rs"):
            target = up / f.relative_to(pristine)
            if target.read_text() != f.read_text():
                target.write_text(f.read_text())

    profile = "release" if args.release else "debug"
    only = set(args.only.split(",")) if args.only else None
    wrong = 0
    for edit in edit_corpus.load():
        if only and edit.name not in only:
            continue
        verdict = edit.verdict[profile]
        print(f"[EDIT] {edit.name} ({verdict})", flush=True)
        med, crates, bound, _ = rebuild.measure(args.workspace, lambda e=edit: e.apply(up), revert,
                                                args.runs, args.release)
        compiled = crates["headers"][0]
        expected = ["up"] if verdict == "unchanged" else ["app", "mid", "up"]
        mark = "" if compiled == expected else " **(not as the corpus says)**"
        wrong += compiled != expected
        label = f"corpus: {edit.name}, {verdict}{mark}"
        rebuild.append(args.out, rebuild.row(label, args.release, args.runs, med, crates, bound),
                       args.json, {"label": f"rebuild {edit.name}, {profile}",
                                   "ratio": med["stock"] / med["headers"]})
    shutil.rmtree(pristine, ignore_errors=True)
    if wrong:
        print(f"[WARN] {wrong} edit(s) did not rebuild what the corpus says", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
