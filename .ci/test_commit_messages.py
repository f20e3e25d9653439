"""Unit tests of the commit-message check (.ci/commit_messages.py)."""

import importlib.util
import os
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("commit_messages", os.path.join(HERE, "commit_messages.py"))
cm = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cm)

BODY = ("A dependent compiled against a header needs the interface hash, which the\n"
        "encoder already has; it now returns it.\n\nMeant for upstream.\n")


def patch(subject, body):
    return ("From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
            "From: rust-headers <rust-headers@localhost>\n"
            "Date: Sat, 28 Nov 2026 12:00:00 +0000\n"
            f"Subject: {subject}\n\n{body}\n"
            "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n")


class CommitMessages(unittest.TestCase):
    def test_a_good_message_passes(self):
        self.assertEqual(cm.problems(patch("[PATCH] rustc_metadata: return the hash", BODY)), [])

    def test_a_folded_subject_is_joined_before_it_is_measured(self):
        long = "[PATCH] cargo: --timings records a relinked unit; timing tests read\n the report's unit data"
        subject, _ = cm.message(patch(long, BODY))
        self.assertEqual(subject, "cargo: --timings records a relinked unit; timing tests read the report's unit data")
        self.assertTrue(any("subject has 82" in p for p in cm.problems(patch(long, BODY))))

    def test_a_missing_body_is_reported(self):
        found = cm.problems(patch("[PATCH] cargo: rustfmt", ""))
        self.assertTrue(any("say why" in p for p in found), found)
        self.assertTrue(any("upstream" in p for p in found), found)

    def test_the_diff_is_not_the_body(self):
        _, body = cm.message(patch("[PATCH] x: y", "Why, in a sentence long enough.\n---\n"))
        self.assertEqual(body, "Why, in a sentence long enough.")

    def test_the_series_passes(self):
        files = sorted(p for d in cm.SERIES for p in d.glob("*.patch"))
        self.assertGreater(len(files), 10)
        for path in files:
            self.assertEqual(cm.problems(path.read_text()), [], path.name)


if __name__ == "__main__":
    unittest.main()
