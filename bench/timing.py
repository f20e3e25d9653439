"""Helpers shared by the benchmark scripts."""

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path


def cargo(project: Path, *args: str) -> float:
    """Runs `cargo +headers ARGS` quietly in PROJECT; returns its wall time in seconds."""
    return run(["cargo", "+headers", *args], cwd=project).wall


def target_dir(project: Path, variant: str) -> Path:
    """A variant's target directory, beside PROJECT: files under a package's root count as its
    sources for cargo, so a target directory inside it would make every build dirty."""
    return project.parent / f"{project.name}-target-{variant}"


@dataclass
class Usage:
    wall: float  # seconds
    cpu: float  # user + system seconds of the command and every process it waited for
    peak_rss: float  # MiB: the largest sum of the resident sets of the process tree, sampled
    stderr: str = ""


def _tree_rss_kib(root: int) -> int:
    """Resident set of `root` and its descendants, in KiB (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as f:
                ppid = kib = 0
                for line in f:
                    if line.startswith("PPid:"):
                        ppid = int(line.split()[1])
                    elif line.startswith("VmRSS:"):
                        kib = int(line.split()[1])
        except (OSError, ValueError):
            continue
        pid = int(entry)
        rss[pid] = kib
        children.setdefault(ppid, []).append(pid)
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack += children.get(pid, [])
    return total


def run(cmd: list[str], cwd: Path, env: dict | None = None, capture: bool = False) -> Usage:
    """Runs CMD, failing loudly; measures wall time, CPU time and the process tree's peak RSS."""
    start = time.monotonic()
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE if capture else subprocess.DEVNULL,
        text=True,
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.1):
            peak = max(peak, _tree_rss_kib(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stderr = proc.stderr.read() if capture else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, cmd, stderr=stderr)
    return Usage(wall, usage.ru_utime + usage.ru_stime, peak / 1024, stderr)
