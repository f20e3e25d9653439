"""Checks the messages of the patch series (`patches/`, `src/tools/cargo-patch/patches/`): each
subject at most 72 characters (after `[PATCH] `, folded lines joined), and a body that says why:
at least one paragraph of prose before the diff, and a line saying whether the patch is meant for
upstream. Run by the test step `commits`; `python3 .ci/commit_messages.py [PATCH...]`."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERIES = [ROOT / "patches", ROOT / "src/tools/cargo-patch/patches"]
MAX_SUBJECT = 72
MIN_BODY = 80  # characters of prose: one sentence of why is more than a subject restated


def message(text: str) -> tuple[str, str]:
    """The subject and the body of a `git format-patch` file."""
    head, _, rest = text.partition("\n\n")
    subject = None
    for line in re.split(r"\n(?! )", head):
        if line.startswith("Subject: "):
            subject = re.sub(r"\s*\n\s+", " ", line[len("Subject: "):])
    if subject is None:
        raise ValueError("no Subject: header")
    subject = re.sub(r"^\[PATCH[^\]]*\]\s*", "", subject)
    body = re.split(r"^(?:---\n|diff --git )", rest, maxsplit=1, flags=re.M)[0]
    return subject, body.strip()


def problems(text: str) -> list[str]:
    try:
        subject, body = message(text)
    except ValueError as e:
        return [str(e)]
    found = []
    if len(subject) > MAX_SUBJECT:
        found.append(f"subject has {len(subject)} characters (at most {MAX_SUBJECT}): {subject}")
    prose = " ".join(line for line in body.splitlines() if line.strip())
    if len(prose) < MIN_BODY:
        found.append(f"body has {len(prose)} characters of prose (at least {MIN_BODY}): say why")
    if not re.search(r"upstream", body, re.I):
        found.append("body does not say whether the patch is meant for upstream")
    return found


def main(paths: list[str]) -> int:
    files = [Path(p) for p in paths] or sorted(p for d in SERIES for p in d.glob("*.patch"))
    bad = 0
    for path in files:
        for problem in problems(path.read_text(errors="replace")):
            bad += 1
            print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {problem}")
    print(f"[COMMITS] {len(files)} patches, {bad} problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
