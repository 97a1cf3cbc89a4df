#!/usr/bin/env bash
# Stress of the recovery paths (tagged manual): ROUNDS rounds (default 20) of
# a failure during recovery, a whole node lost, and a transient fault, each at
# a random worker and step, two rounds at once (as CI runs tests beside each
# other on 2 cores). Every run must recover without the checkpoint and equal
# the failure-free run. Prints one line per case and round and "N/M passed".
#   bazel test //tests:lazarus_recovery_stress_test --test_env=STRESS_ROUNDS=20
set -u
source "$TEST_SRCDIR/warden/tests/lazarus_lib.sh"
ROUNDS="${STRESS_ROUNDS:-20}"

SEED=4 run plain6 --ranks=6 --ranks_per_node=2 --steps=30 --experts=4 --slots=2 \
  --final_state="$T/plain6.safetensors" && margin_ok plain6 || { echo "no reference run"; exit 1; }

one_round() {  # one_round R: the three cases; exits non-zero on any failure
  local r=$1 first second step node
  first=$((RANDOM % 6)); second=$(( (first + 1 + RANDOM % 5) % 6 )); step=$((3 + RANDOM % 24))
  node=$((RANDOM % 3))
  if SEED=4 run "inrecovery$r" --ranks=6 --steps=30 --experts=4 --slots=2 --kills=$first@$step \
       --recovery_kills=$second --final_state="$T/inrecovery$r.safetensors"; then
    [[ $(field "inrecovery$r" failures) == 2 && $(field "inrecovery$r" checkpoint_reads) == 0 ]] \
      || fail "inrecovery$r ($first@$step, then $second): $(cat "$T/inrecovery$r.json")"
    grep -q "failure during recovery" "$T/inrecovery$r.log" || fail "inrecovery$r: the second kill was not during a recovery"
    same "inrecovery$r" plain6 "round $r: a failure during recovery ($first@$step, then $second)"
  fi
  if SEED=4 run "node$r" --ranks=6 --ranks_per_node=2 --steps=30 --experts=4 --slots=2 \
       --kills=$((2 * node))@$step,$((2 * node + 1))@$step --final_state="$T/node$r.safetensors"; then
    [[ $(field "node$r" failures) == 2 && $(field "node$r" checkpoint_reads) == 0 ]] \
      || fail "node$r (node $node at $step): $(cat "$T/node$r.json")"
    same "node$r" plain6 "round $r: node $node lost at step $step"
  fi
  if SEED=4 run "transient$r" --ranks=6 --steps=30 --experts=4 --slots=2 --reduce_faults=$first@$step \
       --final_state="$T/transient$r.safetensors"; then
    grep -q "worker $first: caught up with step $step" "$T/transient$r.log" || fail "transient$r: no catch-up"
    same "transient$r" plain6 "round $r: transient fault at worker $first, step $step"
  fi
  [[ $failures == 0 ]]
}

passed=0
for ((r = 1; r <= ROUNDS; r += 2)); do
  pids=()
  for copy in $r $((r + 1)); do
    ((copy > ROUNDS)) && continue
    one_round "$copy" > "$T/round$copy.log" 2>&1 &
    pids+=("$copy:$!")
  done
  for entry in "${pids[@]}"; do
    copy=${entry%%:*}
    if wait "${entry#*:}"; then
      passed=$((passed + 1))
      echo "round $copy: passed"
    else
      echo "round $copy: FAILED"
      cat "$T/round$copy.log"
    fi
  done
done
echo "$passed/$ROUNDS passed"
[[ $passed == "$ROUNDS" ]]
