"""Helpers shared by the benchmark scripts."""

import subprocess
import time
from pathlib import Path


def cargo(project: Path, *args: str) -> float:
    """Runs `cargo +headers ARGS` quietly in PROJECT; returns its wall time in seconds."""
    start = time.monotonic()
    subprocess.run(
        ["cargo", "+headers", *args],
        cwd=project,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.monotonic() - start
