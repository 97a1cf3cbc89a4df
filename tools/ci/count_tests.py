#!/usr/bin/env python3
"""Counts test cases from Bazel's build event protocol (BEP) JSON files.

CI reads one closing line, "N passed, N failed[, N skipped]", so this script
turns Bazel's per-target results into per-test-case counts:
  * each GoogleTest case in a target's test.xml counts once (passed, failed or
    skipped); sharded targets contribute one test.xml per shard;
  * a target whose test.xml has no cases (e.g. an sh_test) counts once, by status;
  * a target that failed or timed out beyond what its test.xml shows counts one
    more failure, and a test target that failed to build counts as one failure;
  * --build-check NAME=FILE adds the targets of another BEP file (e.g. the
    --config=cuda build) as one case each: passed if built, failed if not;
  * --check NAME=STATUS adds one case for a repository check run outside Bazel
    (e.g. tools/ci/check_layering.sh): passed if STATUS is 0, skipped if it
    is "skip".
Exit status: 0 if nothing failed and something ran, 1 otherwise.
"""
import argparse
import json
import sys
import urllib.parse
import xml.etree.ElementTree as ET


def read_events(path):
    events = []
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line:
                    events.append(json.loads(line))
    except FileNotFoundError:
        pass
    return events


def count_xml(path):
    """Returns (passed, failed, skipped) for the test cases in a test.xml."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    passed = failed = skipped = 0
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif (case.find("skipped") is not None or case.get("status") == "notrun"
              or case.get("result") == "skipped"):
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def file_path(uri):
    return urllib.parse.unquote(urllib.parse.urlparse(uri).path)


def count_tests(events):
    passed = failed = skipped = 0
    failures = []
    test_labels = set()
    built = {}
    results = {}
    for event in events:
        eid = event.get("id", {})
        if "targetConfigured" in eid and "testSize" in event.get("configured", {}):
            test_labels.add(eid["targetConfigured"]["label"])
        elif "targetCompleted" in eid:
            built[eid["targetCompleted"]["label"]] = bool(event.get("completed", {}).get("success"))
        elif "testResult" in eid:
            key = (eid["testResult"]["label"], eid["testResult"].get("shard", 0),
                   eid["testResult"].get("run", 0))
            # Keep the last attempt (flaky retries); results arrive in order.
            results[key] = event.get("testResult", {})
    for (label, shard, _), result in sorted(results.items()):
        status = result.get("status", "NO_STATUS")
        xml = next((o for o in result.get("testActionOutput", []) if o.get("name") == "test.xml"), None)
        counts = count_xml(file_path(xml["uri"])) if xml else None
        p, f, s = counts if counts else (0, 0, 0)
        if p + f + s == 0:
            p, f = (1, 0) if status == "PASSED" else (0, 1)
        elif status != "PASSED" and f == 0:
            f = 1  # crashed, timed out or failed outside any test case
        passed, failed, skipped = passed + p, failed + f, skipped + s
        if f:
            failures.append(f"{label} (shard {shard}): {status}")
    tested = {label for (label, _, _) in results}
    for label in sorted(test_labels - tested):
        failed += 1
        failures.append(f"{label}: {'did not run' if built.get(label) else 'failed to build'}")
    return passed, failed, skipped, failures


def count_build_check(name, events):
    passed = failed = 0
    failures = []
    for event in events:
        eid = event.get("id", {})
        if "targetCompleted" in eid:
            label = eid["targetCompleted"]["label"]
            if event.get("completed", {}).get("success"):
                passed += 1
            else:
                failed += 1
                failures.append(f"{label}: failed to build under {name}")
    if not events:
        failed += 1
        failures.append(f"{name}: no build events (bazel did not run)")
    return passed, failed, failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bep_json", help="BEP JSON file of `bazel test`")
    parser.add_argument("--build-check", action="append", default=[], metavar="NAME=FILE")
    parser.add_argument("--check", action="append", default=[], metavar="NAME=STATUS")
    args = parser.parse_args()

    passed, failed, skipped, failures = count_tests(read_events(args.bep_json))
    for check in args.build_check:
        name, _, path = check.rpartition("=")
        p, f, fl = count_build_check(name, read_events(path))
        passed, failed, failures = passed + p, failed + f, failures + fl
    for check in args.check:
        name, _, status = check.rpartition("=")
        if status == "0":
            passed += 1
        elif status == "skip":
            skipped += 1
        else:
            failed += 1
            failures.append(f"{name}: check failed (exit status {status})")
    for line in failures:
        print(f"FAILED: {line}")
    summary = f"{passed} passed, {failed} failed"
    if skipped:
        summary += f", {skipped} skipped"
    print(summary)
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
