"""Unit tests of the benchmark simulator (bench/simulate.py) on a hand-made unit graph."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
import simulate  # noqa: E402


def graph_unit(pkg, kind, mode, deps, crate_types=None):
    return {
        "pkg_id": f"path+file:///w/{pkg}#{pkg}@0.1.0",
        "target": {"kind": [kind], "name": pkg if kind != "test" else "it",
                   "crate_types": crate_types or [{"test": "bin"}.get(kind, kind)]},
        "mode": mode,
        "features": [],
        "dependencies": [{"index": d} for d in deps],
    }


def units(*specs):
    """Units from (graph unit, duration, header time) triples."""
    out = []
    for i, (g, duration, meta) in enumerate(specs):
        u = simulate.Unit(i, g)
        u.duration, u.meta = duration, meta
        out.append(u)
    return out


class IntegrationTestEdge(unittest.TestCase):
    """A package `app` with a library, a binary and an integration test over a library `dep`."""

    def setUp(self):
        self.units = units(
            (graph_unit("dep", "lib", "build", []), 2.0, 1.0),
            (graph_unit("app", "lib", "build", [0]), 1.0, 0.5),
            (graph_unit("app", "bin", "build", [0, 1]), 6.0, None),
            # cargo's unit graph gives the test an edge to the binary (CARGO_BIN_EXE_app)
            (graph_unit("app", "test", "test", [0, 1, 2]), 4.0, None),
        )

    def test_no_schedule_waits_for_the_binary(self):
        # Without the edge the test ends before the binary; with it, 4 s after it.
        self.assertEqual(simulate.simulate(self.units, "none", 8), 9.0)
        # stock: app's library starts on dep's header (1.0), ends at 2.0 with dep
        self.assertEqual(simulate.simulate(self.units, "stock", 8), 8.0)
        # headers: app's header at 1.5, the binary compiles 1.5..7.5 and links at once
        self.assertEqual(simulate.simulate(self.units, "headers", 8), 7.5)

    def test_priority_counts_dependents_in_the_job_graph(self):
        # Cargo's priority counts dependents in its job graph, where the binary has none.
        jobs = {(j.unit.index, j.part): j for j in simulate.jobs_for(self.units, "stock")}
        self.assertEqual(jobs[(2, "compile")].priority, jobs[(3, "compile")].priority)
        self.assertEqual(jobs[(1, "compile")].priority, 300)

    def test_link_set_is_the_libraries(self):
        self.assertEqual(simulate.link_set(self.units, self.units[3]), {0, 1})


class Ties(unittest.TestCase):
    def test_ties_go_in_the_measured_order(self):
        # Three libraries of equal priority (one dependent each) on two slots; only `c`'s
        # dependent is long. Cargo breaks such ties in hash-map order, which changes from run to
        # run, so the simulator follows the measured starts.
        def makespan(c_start):
            us = units(
                (graph_unit("a", "lib", "build", []), 1.0, None),
                (graph_unit("b", "lib", "build", []), 1.0, None),
                (graph_unit("c", "lib", "build", []), 1.0, None),
                (graph_unit("a2", "lib", "build", [0]), 0.0, None),
                (graph_unit("b2", "lib", "build", [1]), 0.0, None),
                (graph_unit("c2", "lib", "build", [2]), 10.0, None),
            )
            us[0].start, us[1].start, us[2].start = 1.0, 2.0, c_start
            return simulate.simulate(us, "none", 2)

        self.assertEqual(makespan(0.0), 11.0)
        self.assertEqual(makespan(3.0), 12.0)


    def test_among_equal_priorities_the_job_ready_last_goes_first(self):
        # Cargo's pending queue is a stack per priority. At 1.0 one slot frees: `x` has waited
        # since 0.0, `y` became ready at 1.0 (when `w` ended), both with one dependent. `y` goes
        # first although the run started `x` first, and `y`'s long dependent starts at 2.0.
        us = units(
            (graph_unit("w", "lib", "build", []), 1.0, None),
            (graph_unit("y", "lib", "build", [0]), 1.0, None),
            (graph_unit("y2", "lib", "build", [1]), 10.0, None),
            (graph_unit("x", "lib", "build", []), 1.0, None),
            (graph_unit("x2", "lib", "build", [3]), 0.0, None),
            (graph_unit("l", "lib", "build", []), 2.0, None),
            *[(graph_unit(f"l{i}", "lib", "build", [5]), 0.0, None) for i in range(3)],
        )
        for u, start in zip(us, [0.0, 3.0, 0.0, 0.5, 0.0, 0.0, 5.0, 5.0, 5.0]):
            u.start = start
        self.assertEqual(simulate.simulate(us, "none", 2), 12.0)


class SameDurations(unittest.TestCase):
    def test_with_durations_keeps_the_link_share_within_the_new_duration(self):
        a = units((graph_unit("app", "bin", "build", []), 5.0, None))
        b = units((graph_unit("app", "bin", "build", []), 3.0, None))
        a[0].link = 4.0
        mixed = simulate.with_durations(a, b)
        self.assertEqual((mixed[0].duration, mixed[0].link), (3.0, 3.0))
        self.assertEqual((a[0].duration, a[0].link), (5.0, 4.0))


if __name__ == "__main__":
    unittest.main()
