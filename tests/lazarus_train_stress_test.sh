#!/usr/bin/env bash
# Stress of `warden lazarus train` (tagged manual): the four end-to-end cases of
# lazarus_train_test.sh (kill, double kill, join, checkpoint fallback) ROUNDS
# times (default 20), two copies at once, as CI runs tests beside each other on
# a 2-core machine. Prints one line per copy and "N/M passed"; fails on any
# failure (each failing copy's log is printed).
#   bazel test //tests:lazarus_train_stress_test --test_env=STRESS_ROUNDS=20
set -u
ROUNDS="${STRESS_ROUNDS:-20}"
CASES="$TEST_SRCDIR/warden/tests/lazarus_train_test.sh"
passed=0
total=0
for round in $(seq 1 "$ROUNDS"); do
  pids=()
  for copy in a b; do
    dir="$TEST_TMPDIR/$round$copy"
    mkdir -p "$dir"
    TEST_TMPDIR="$dir" bash "$CASES" > "$dir/log" 2>&1 &
    pids+=($!)
  done
  for i in 0 1; do
    copy=$([[ $i == 0 ]] && echo a || echo b)
    total=$((total + 1))
    start=$SECONDS
    if wait "${pids[$i]}"; then
      passed=$((passed + 1))
      echo "round $round copy $copy: passed"
    else
      echo "round $round copy $copy: FAILED"
      cat "$TEST_TMPDIR/$round$copy/log"
    fi
  done
done
echo "$passed/$total passed"
[[ $passed == "$total" ]]
