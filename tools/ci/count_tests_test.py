"""Tests for count_tests.py on synthetic build event files and test.xml files."""
import json
import contextlib
import io
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import count_tests  # noqa: E402


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


GTEST_XML = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="4" failures="1">
  <testsuite name="S" tests="4">
    <testcase name="a" status="run" result="completed"/>
    <testcase name="b" status="run" result="completed"><failure message="x"/></testcase>
    <testcase name="c" status="run" result="skipped"><skipped/></testcase>
    <testcase name="d" status="run" result="completed"/>
  </testsuite>
</testsuites>"""


class CountTestsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def result(self, label, status, xml=None, shard=0):
        outputs = [{"name": "test.xml", "uri": "file://" + xml}] if xml else []
        return {"id": {"testResult": {"label": label, "run": 1, "shard": shard, "attempt": 1}},
                "testResult": {"status": status, "testActionOutput": outputs}}

    def configured(self, label):
        return {"id": {"targetConfigured": {"label": label}},
                "configured": {"targetKind": "cc_test rule", "testSize": "SMALL"}}

    def test_counts_cases_failures_skips_and_build_failures(self):
        xml = write(os.path.join(self.dir, "t.xml"), GTEST_XML)
        empty = write(os.path.join(self.dir, "sh.xml"), "<testsuites></testsuites>")
        events = [
            self.configured("//a:gtest"), self.result("//a:gtest", "FAILED", xml),
            self.configured("//a:sh"), self.result("//a:sh", "PASSED", empty),
            self.configured("//a:timeout"), self.result("//a:timeout", "TIMEOUT"),
            self.configured("//a:broken"),
            {"id": {"targetCompleted": {"label": "//a:broken"}}, "completed": {"success": False}},
        ]
        passed, failed, skipped, failures = count_tests.count_tests(events)
        self.assertEqual((passed, failed, skipped), (3, 3, 1))
        self.assertTrue(any("failed to build" in f for f in failures))
        self.assertTrue(any("TIMEOUT" in f for f in failures))

    def test_crash_after_passing_cases_still_fails(self):
        xml = write(os.path.join(self.dir, "ok.xml"),
                    '<testsuites><testcase name="a" status="run"/></testsuites>')
        events = [self.configured("//a:t"), self.result("//a:t", "FAILED", xml)]
        self.assertEqual(count_tests.count_tests(events)[:2], (1, 1))

    def test_shards_each_count(self):
        x0 = write(os.path.join(self.dir, "s0.xml"), '<testsuites><testcase name="a"/></testsuites>')
        x1 = write(os.path.join(self.dir, "s1.xml"), '<testsuites><testcase name="b"/></testsuites>')
        events = [self.configured("//a:t"), self.result("//a:t", "PASSED", x0, shard=0),
                  self.result("//a:t", "PASSED", x1, shard=1)]
        self.assertEqual(count_tests.count_tests(events)[:2], (2, 0))

    def test_build_check(self):
        events = [{"id": {"targetCompleted": {"label": "//k:cuda"}}, "completed": {"success": True}},
                  {"id": {"targetCompleted": {"label": "//k:bad"}}, "completed": {}}]
        self.assertEqual(count_tests.count_build_check("cuda", events)[:2], (1, 1))
        self.assertEqual(count_tests.count_build_check("cuda", [])[:2], (0, 1))

    def test_reads_newline_delimited_json(self):
        path = write(os.path.join(self.dir, "bep.json"),
                     "\n".join(json.dumps(e) for e in [self.configured("//a:t")]) + "\n")
        self.assertEqual(len(count_tests.read_events(path)), 1)
        self.assertEqual(count_tests.read_events(os.path.join(self.dir, "missing.json")), [])

    def test_repository_checks_count_one_case_each(self):
        path = write(os.path.join(self.dir, "bep.json"), "")
        argv = sys.argv
        try:
            sys.argv = ["count_tests.py", path, "--check", "layering=0"]
            self.assertEqual(count_tests.main(), 0)
            sys.argv = ["count_tests.py", path, "--check", "layering=0", "--check", "format=1"]
            self.assertEqual(count_tests.main(), 1)
            # A skipped check is neither a pass nor a failure.
            out = io.StringIO()
            sys.argv = ["count_tests.py", path, "--check", "layering=0", "--check", "torch2=skip"]
            with contextlib.redirect_stdout(out):
                self.assertEqual(count_tests.main(), 0)
            self.assertIn("1 passed, 0 failed, 1 skipped", out.getvalue())
        finally:
            sys.argv = argv


if __name__ == "__main__":
    unittest.main()
