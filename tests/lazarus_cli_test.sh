#!/usr/bin/env bash
# `warden lazarus plan` end to end: the spec's worked example and
# counterexample through the CLI, --json structure, and bad input.
set -u
source "$TEST_SRCDIR/warden/tests/cli_lib.sh"

json=$("$WARDEN" lazarus plan --nodes 10 --slots 6 --f 2 --loads 50,20,10,5,5,4,3,3 --json --budget 0.2)
python3 - "$json" <<'PY' || fail "worked example JSON"
import json, sys
d = json.loads(sys.argv[1])
assert d["replicas"] == [30, 12, 6, 3, 3, 2, 2, 2], d["replicas"]
for policy in ("mro", "spread", "compact", "ours"):
    p = d[policy]["p_recovery"]
    assert len(p) == 10 and p[0] == 1.0, (policy, p)
    assert all(0 <= x <= 1 for x in p)
    assert sum(len(node) for node in d[policy]["placement"]) == 60
    assert all(a >= b - 1e-12 for a, b in zip(p, p[1:])), (policy, p)  # more failures, less recovery
for k in range(10):
    assert d["ours"]["p_recovery"][5] >= d["mro"]["p_recovery"][5] - 1e-12
PY

json=$("$WARDEN" lazarus plan --nodes 5 --slots 3 --replicas 2,3,4,6 --target 3 --json)
python3 - "$json" <<'PY' || fail "counterexample JSON"
import json, sys
d = json.loads(sys.argv[1])
assert abs(d["mro"]["p_recovery"][3] - 0.6) < 1e-12, d["mro"]["p_recovery"]
assert abs(d["ours"]["p_recovery"][3] - 0.7) < 1e-12, d["ours"]["p_recovery"]
assert d["ours"]["exact_search"] is True
PY

text=$("$WARDEN" lazarus plan --nodes 5 --slots 3 --replicas 2,3,4,6)
grep -q "P(recovery) by failed nodes" <<<"$text" || fail "no table"
grep -q "exhaustive search" <<<"$text" || fail "no search summary"

sim=$("$WARDEN" lazarus simulate --model gpt-s --seeds 2 --out "$TEST_TMPDIR/sim" 2>&1) || fail "simulate: $sim"
grep -q "^Lazarus" <<<"$sim" || fail "simulate table: $sim"
grep -q "<polyline" "$TEST_TMPDIR/sim.svg" || fail "simulate plot"
printf 'time_s,failures,joins\n60,1,0\n' > "$TEST_TMPDIR/trace.csv"
"$WARDEN" lazarus simulate --trace csv --csv "$TEST_TMPDIR/trace.csv" --seeds 1 --out "$TEST_TMPDIR/csv" \
  >/dev/null 2>&1 || fail "csv replay"
for bad in "--model gpt-xl" "--trace weekly" "--seeds 0" "--trace csv --csv /nonexistent.csv"; do
  "$WARDEN" lazarus simulate $bad --out "$TEST_TMPDIR/x" >/dev/null 2>&1
  [[ $? -eq 2 ]] || fail "simulate $bad should exit 2"
done

expect_error() { expect_usage_error "$*" "$1" lazarus plan "${@:2}"; }  # PATTERN ARGS...
expect_error "replicas sum to 14" --nodes 5 --slots 3 --replicas 2,3,4,5
expect_error "is not a number" --loads 5,x,3
expect_error "cannot hold" --nodes 1 --slots 2 --loads 1,1,1
expect_error "loads must be finite" --loads 5,-1
expect_error "nodes" --nodes 0
finish
