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
