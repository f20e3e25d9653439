#!/usr/bin/env python3
"""What a build would take on other core counts, with and without pipelining.

Input: one `cargo build --timings` run (its HTML report, which holds each unit's start, duration
and sections) and the same command's `--unit-graph` (the units and their dependencies). Units
are matched by package name, version, target, mode and features.

Each unit's measured durations are replayed under three schedules, with cargo's scheduling rule
(a unit starts when its dependencies allow it and a job slot is free; among ready units the one
with the most transitive dependents goes first, then the one that became ready last; cargo
breaks the remaining ties in hash-map order, which changes from run to run, so they go in the
order the measured run started the units):

  none      no pipelining: a unit starts when each dependency has finished
  stock     cargo's pipelining: a library starts once the `.rmeta` of each library it depends on
            exists; a unit that links waits for each dependency to finish, and for every rlib
            it links (the indirect ones too)
  headers   -Z header-pipelining: as stock, and a unit that links compiles once its libraries'
            headers exist; its link is a separate job that starts when every rlib it links is
            finished (it holds no slot while waiting, as in cargo)

and reports, per core count, the makespan of each schedule and the lower bound of the headers
schedule: the longer of its critical path and its total work divided by the cores.

Like cargo, no schedule waits for the binaries of a unit's own package: an integration test or
bench depends on them (`CARGO_BIN_EXE_<name>`) only to run, and cargo keeps that edge out of its
job graph.

Durations come from the run given. For the headers schedule the run must be a
`-Z header-pipelining` run (`--headers`, or a report that has a separate link section): its
report splits a linking unit's compile from its link, unless rustc linked the unit in its compile
because the rlibs were finished (`-Z link-if-ready`); such a link is replayed as part of the
compile. From a stock run only `none` and `stock` are simulated.

A unit's measured time already contains the parallelism its rustc got on the measured machine
(codegen threads); the other core counts assume it stays the same, so figures far from the
measured core count are bounds on the schedule's structure, not predictions of wall time.

Usage: bench/simulate.py TIMINGS.html UNIT_GRAPH.json [--headers] [--cores 1,2,4,8,16,64]
       [--check JOBS] [--measured SECONDS] [--json OUT.json]
"""

import argparse
import copy
import heapq
import json
import re
import sys
from pathlib import Path

LINKING_KINDS = {"bin", "dylib", "cdylib", "staticlib", "proc-macro"}


def load_timings(html: Path) -> list[dict]:
    m = re.search(r"const UNIT_DATA = (.*?);\n", html.read_text(), re.S)
    if not m:
        sys.exit(f"{html}: no UNIT_DATA (not a cargo --timings report)")
    return json.loads(m.group(1))


def pkg_name_version(pkg_id: str) -> tuple[str, str]:
    """`<source>#name@version` or `<source>/name#version` (a package spec)."""
    source, _, frag = pkg_id.rpartition("#")
    if "@" in frag:
        name, version = frag.split("@", 1)
    else:
        name, version = source.rstrip("/").rsplit("/", 1)[-1], frag
    return name, version


def target_description(target: dict, mode: str) -> str:
    """The target column of cargo's timing report for a unit-graph unit."""
    kind = target["kind"][0]
    simple = {"custom-build": "build-script", "example": "example", "test": "test",
              "bench": "bench", "bin": "bin"}.get(kind, "lib")
    if simple == "lib" and mode in ("build", "check"):
        desc = ""
    elif simple == "build-script":
        desc = " build-script"
    else:
        desc = f' {target["name"]} "{simple}"'
    suffix = {"test": " (test)", "check": " (check)", "run-custom-build": " (run)",
              "doc": " (doc)", "doctest": " (doc test)"}.get(mode, "")
    return desc + suffix


class Unit:
    def __init__(self, index: int, graph_unit: dict):
        self.index = index
        self.name, self.version = pkg_name_version(graph_unit["pkg_id"])
        self.target = graph_unit["target"]
        self.mode = graph_unit["mode"]
        self.features = sorted(graph_unit.get("features", []))
        self.deps = [d["index"] for d in graph_unit["dependencies"]]
        self.lto = str(graph_unit.get("profile", {}).get("lto", "false")) not in ("false", "off")
        crate_types = set(self.target.get("crate_types", []))
        kind = self.target["kind"][0]
        self.requires_upstream_objects = self.mode == "test" or bool(crate_types & LINKING_KINDS)
        self.is_rlib = (
            self.mode == "build" and kind in ("lib", "rlib") and not self.requires_upstream_objects
        )
        # The units `-Z header-pipelining` compiles against headers and links separately.
        self.consumes_headers = (
            self.mode in ("build", "test")
            and self.requires_upstream_objects
            and kind not in ("custom-build", "proc-macro")
            and (kind not in ("lib", "rlib", "dylib", "cdylib", "staticlib", "example")
                 or crate_types <= {"cdylib", "staticlib"} or self.mode == "test")
            and not self.lto
        )
        self.pkg = graph_unit["pkg_id"]
        self.start = 0.0
        self.duration = 0.0  # the unit's own work: compile, plus link for a linking unit
        self.meta = None  # when its .rmeta (header) exists, from its start
        self.link = 0.0  # the link step's share of `duration`, when the run split it out

    def key(self) -> tuple:
        return (self.name, self.version, target_description(self.target, self.mode),
                tuple(self.features))

    def label(self) -> str:
        return f"{self.name}{target_description(self.target, self.mode)}"


def load(html: Path, unit_graph: Path) -> tuple[list[Unit], bool]:
    graph = json.loads(unit_graph.read_text())
    units = [Unit(i, u) for i, u in enumerate(graph["units"])]
    by_key: dict[tuple, list[Unit]] = {}
    for u in units:
        by_key.setdefault(u.key(), []).append(u)
    split_links = False
    timed = load_timings(html)
    for t in timed:
        key = (t["name"], t["version"], t["target"], tuple(sorted(t.get("features", []))))
        candidates = by_key.get(key)
        if not candidates:
            sys.exit(f"{html}: unit {t['name']}{t['target']} is not in {unit_graph}")
        u = candidates.pop(0)
        u.start = t["start"]
        sections = dict((name, s) for name, s in (t.get("sections") or []))
        wait = sections.get("link-wait")
        waited = (wait["end"] - wait["start"]) if wait else 0.0
        u.duration = max(t["duration"] - waited, 0.0)
        if "link" in sections and u.consumes_headers:
            split_links = True
            u.link = sections["link"]["end"] - sections["link"]["start"]
        if u.is_rlib:
            front = sections.get("frontend")
            u.meta = front["end"] if front else u.duration
    if not any(u.duration for u in units):
        sys.exit(f"{html}: no unit of {unit_graph} was timed")
    return units, split_links


class Job:
    __slots__ = ("unit", "part", "duration", "waits", "priority")

    def __init__(self, unit: Unit, part: str, duration: float):
        self.unit, self.part, self.duration = unit, part, duration
        self.waits: list[tuple[int, str]] = []  # (unit index, "meta" | "done")
        self.priority = 0


def jobs_for(units: list[Unit], schedule: str) -> list[Job]:
    """The jobs of a schedule, each with the unit events it waits for."""
    jobs = []
    waited_for = {u.index: build_deps(units, u) for u in units}
    for u in units:
        separate_link = schedule == "headers" and u.consumes_headers
        compile_job = Job(u, "compile", u.duration - (u.link if separate_link else 0.0))
        for d in waited_for[u.index]:
            dep = units[d]
            if schedule == "none" or not dep.is_rlib:
                event = "done"
            elif u.is_rlib or separate_link:
                event = "meta"
            else:
                event = "done"
            compile_job.waits.append((d, event))
        if u.requires_upstream_objects and not separate_link and schedule != "none":
            # Cargo makes a unit that links wait for every rlib it links, not only for its
            # direct dependencies, whose own compiles only waited for `.rmeta` files.
            compile_job.waits += [(d, "done") for d in sorted(link_set(units, u))]
        jobs.append(compile_job)
        if separate_link:
            link = Job(u, "link", u.link)
            link.waits.append((u.index, "compiled"))
            link.waits += [(d, "done") for d in sorted(link_set(units, u))]
            link.priority = 1 << 40  # a link takes the next free slot, as in cargo
            jobs.append(link)
    # Cargo's priority: the number of units that transitively depend on a unit in its job graph.
    dependents: dict[int, set[int]] = {}

    def reverse_closure(i: int) -> set[int]:
        if i not in dependents:
            dependents[i] = set()
            for u in units:
                if i in waited_for[u.index]:
                    dependents[i] |= {u.index} | reverse_closure(u.index)
        return dependents[i]

    for job in jobs:
        if job.part == "compile":
            job.priority = 100 * (1 + len(reverse_closure(job.unit.index)))
    return jobs


def build_deps(units: list[Unit], u: Unit) -> list[int]:
    """The dependencies a unit waits for: not the binaries (or tests) of its own package, which an
    integration test or bench needs only to run (cargo's `JobQueue::enqueue` drops that edge)."""
    return [d for d in u.deps
            if not (units[d].pkg == u.pkg and units[d].target["kind"][0] in ("bin", "test"))]


def link_set(units: list[Unit], u: Unit) -> set[int]:
    """The rlibs a linking unit links: its library dependencies, transitively."""
    seen: set[int] = set()
    stack = [d for d in build_deps(units, u) if units[d].is_rlib]
    while stack:
        d = stack.pop()
        if d in seen:
            continue
        seen.add(d)
        stack += [e for e in units[d].deps if units[e].is_rlib]
    return seen


def simulate(units: list[Unit], schedule: str, cores: int) -> float:
    """List scheduling of the schedule's jobs on `cores` slots; returns the makespan."""
    jobs = jobs_for(units, schedule)
    events: dict[tuple[int, str], float] = {}
    pending = list(range(len(jobs)))
    running: list[tuple[float, int]] = []  # (end, job)
    heap_events: list[tuple[float, int, str]] = []
    now = 0.0

    def ready(job: Job) -> bool:
        return all((d, e) in events and events[(d, e)] <= now for d, e in job.waits)

    def since(job: Job) -> float:
        return max((events[w] for w in job.waits), default=0.0)

    while pending or running:
        free = cores - len(running)
        if free > 0:
            # Among equal priorities cargo takes the job that became ready last (its pending
            # queue is a stack per priority), and among those an arbitrary one: here the one the
            # measured run started first.
            startable = sorted((j for j in pending if ready(jobs[j])),
                               key=lambda j: (-jobs[j].priority, -since(jobs[j]),
                                              jobs[j].unit.start, j))
            for j in startable[:free]:
                pending.remove(j)
                job = jobs[j]
                heapq.heappush(running, (now + job.duration, j))
                u = job.unit
                if job.part == "compile":
                    if u.meta is not None:
                        heapq.heappush(heap_events, (now + min(u.meta, job.duration), u.index, "meta"))
                    heapq.heappush(heap_events, (now + job.duration, u.index, "compiled"))
        candidates = [t for t, _, _ in heap_events[:1]] + [t for t, _ in running[:1]]
        if not candidates:
            if pending:
                stuck = ", ".join(jobs[j].unit.label() for j in pending[:5])
                raise RuntimeError(f"{schedule}: jobs cannot start: {stuck}")
            break
        now = min(candidates)
        while running and running[0][0] <= now:
            _, j = heapq.heappop(running)
            job = jobs[j]
            if job.part == "link" or not (schedule == "headers" and job.unit.consumes_headers):
                events[(job.unit.index, "done")] = now
        while heap_events and heap_events[0][0] <= now:
            t, i, e = heapq.heappop(heap_events)
            events[(i, e)] = t
    return now


def with_durations(units: list[Unit], source: list[Unit]) -> list[Unit]:
    """A copy of `units` (one run of a unit graph) with the durations of `source` (another run
    of the same graph), so that two schedules can be compared on the same work. A unit keeps its
    own link share, at most its new duration."""
    out = copy.deepcopy(units)
    for u, s in zip(out, source):
        u.duration, u.meta, u.link = s.duration, s.meta, min(u.link, s.duration)
    return out


def critical_path(units: list[Unit], schedule: str) -> float:
    return simulate(units, schedule, cores=len(units) * 2)


def total_work(units: list[Unit]) -> float:
    return sum(u.duration for u in units)


def measured_span(units: list[Unit]) -> tuple[float, float]:
    first = min(u.start for u in units)
    last = max(u.start + u.duration for u in units)
    return first, last


def check(units: list[Unit], schedule: str, jobs: int) -> tuple[float, float]:
    """The run replayed under its own schedule on its job count, and what it measured (both the
    end of the last unit, on cargo's clock)."""
    first, last = measured_span(units)
    return first + simulate(units, schedule, jobs), last


def figures(stock_units: list[Unit], header_units: list[Unit] | None,
            cores: list[int]) -> dict[int, dict[str, float]]:
    """Makespans per core count: `none` and `stock` with the stock run's durations, `headers`
    with the headers run's (if any), and the lower bound of the last schedule."""
    last_units, last = (header_units, "headers") if header_units else (stock_units, "stock")
    cp, work = critical_path(last_units, last), total_work(last_units)
    rows = {}
    for n in cores:
        row = {s: simulate(stock_units, s, n) for s in ("none", "stock")}
        if header_units:
            row["headers"] = simulate(header_units, "headers", n)
        row["bound"] = min(max(cp, work / n), row[last])  # the same sum may round apart
        rows[n] = row
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("timings", type=Path)
    ap.add_argument("unit_graph", type=Path)
    ap.add_argument("--headers", action="store_true",
                    help="the run used -Z header-pipelining (implied by a separate link section)")
    ap.add_argument("--cores", default="1,2,4,8,16,64")
    ap.add_argument("--check", type=int, metavar="JOBS",
                    help="the run's job count: compare the simulation of its schedule with it")
    ap.add_argument("--measured", type=float,
                    help="the run's measured end of the last unit, seconds from cargo's start")
    ap.add_argument("--json", type=Path, help="write the figures as JSON")
    args = ap.parse_args()

    units, split = load(args.timings, args.unit_graph)
    split = split or args.headers
    schedules = ["none", "stock"] + (["headers"] if split else [])
    cores = [int(c) for c in args.cores.split(",")]
    first, last = measured_span(units)
    result = {"schedules": schedules, "work": total_work(units), "offset": first,
              "critical_path": {s: critical_path(units, s) for s in schedules},
              "cores": figures(units, units if split else None, cores)}
    print("| cores | " + " | ".join(schedules) + f" | bound ({schedules[-1]}) |")
    for n, row in result["cores"].items():
        print(f"| {n} | " + " | ".join(f"{row[s]:.1f}" for s in schedules) + f" | {row['bound']:.1f} |")
    if args.check:
        schedule = "headers" if split else "stock"
        simulated, last = check(units, schedule, args.check)
        measured = args.measured if args.measured is not None else last
        result["check"] = {"schedule": schedule, "jobs": args.check, "simulated": simulated,
                           "measured": measured, "error": simulated / measured - 1}
        print(f"[CHECK] {schedule} on {args.check} cores: simulated {simulated:.2f} s, "
              f"measured {measured:.2f} s ({100 * (simulated / measured - 1):+.1f} %)")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
