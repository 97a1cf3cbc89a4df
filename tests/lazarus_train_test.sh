#!/usr/bin/env bash
# `warden lazarus train` end to end: real worker processes over Gloo on
# loopback, a controller with a TCPStore, failures injected with SIGKILL.
#  1. SIGKILL of a random rank at a random step (4 ranks): training continues
#     without a checkpoint, recovers in < 10 s, and the final parameters match
#     the failure-free run (the step retried), or with --failed_step=drop the
#     failure-free run that skips that step.
#  1b. A hung worker (SIGSTOP): found by its heartbeats, killed, recovered from;
#     parameters match the failure-free run.
#  1c. A transient fault (one rank's all-reduce counted as failed after it
#      completed): it catches up from the others' summed gradients.
#  Every comparison covers all ranks: dense and every expert replica with Adam.
#  2. Two simultaneous failures (3 replicas per expert): recovered, no
#     checkpoint, parameters match the failure-free run.
#  2b. A second failure while the first's recovery is being prepared: the same.
#  2c. Nodes of 2 workers: a whole node dies (the same training), and half a
#      node dies (the node leaves whole).
#  3. A join (with re-plans every 7 steps): a 4th worker takes part;
#     parameters match the run without it.
#  3b. Re-planning after every step: parameters match the run without it.
#  4. A fatal loss (both replicas of some experts): falls back to the checkpoint.
# Every run has a deadline; the controller kills its workers on exit.
set -u
source "$TEST_SRCDIR/warden/tests/lazarus_lib.sh"

# 1. A random rank at a random step. Retried (the default), the interrupted
#    step is trained again and the run equals the failure-free one; dropped
#    (--failed_step=drop, the paper's survivors), it equals the failure-free
#    run that skips that step.
rank=$((RANDOM % 4)); step=$((5 + RANDOM % 30))
echo "killing rank $rank at step $step"
run nodrop --ranks=4 --steps=40 --final_state="$T/nodrop.safetensors" && margin_ok nodrop
if run kill --ranks=4 --steps=40 --kill-rank=$rank --kill-at-step=$step --final_state="$T/kill.safetensors"; then
  [[ $(field kill recoveries) == 1 && $(field kill failures) == 1 ]] || fail "kill: $(cat "$T/kill.json")"
  [[ $(field kill checkpoint_reads) == 0 ]] || fail "kill read a checkpoint"
  [[ $(field kill steps) == 40 && $(field kill dropped_steps) == "[]" ]] || fail "kill: $(cat "$T/kill.json")"
  within "$(python3 -c "import json; print(max(json.load(open('$T/kill.json'))['recovery_seconds']))")" 10 \
    || fail "recovery took >= 10 s: $(cat "$T/kill.json")"
  same kill nodrop "a retried step"
fi
# 1b. A hung worker (SIGSTOPped: alive, silent): the survivors' collectives
#     time out, the controller finds it by its missing heartbeats, kills it and
#     recovers; the run again equals the failure-free one.
if run stop --ranks=4 --steps=40 --stops=$(( (rank + 1) % 4 ))@$step --heartbeat_timeout=2 \
     --final_state="$T/stop.safetensors"; then
  [[ $(field stop hung_killed) == 1 && $(field stop recoveries) == 1 ]] || fail "stop: $(cat "$T/stop.json")"
  [[ $(field stop checkpoint_reads) == 0 && $(field stop steps) == 40 ]] || fail "stop: $(cat "$T/stop.json")"
  same stop nodrop "recovery from a hung worker"
fi
# 1c. A transient fault: one worker counts a step's all-reduce as failed after
#     it completed. The others applied the step and stop at the next; it
#     catches up from their summed gradients (nobody undoes a step), nobody is
#     lost, and the run equals the failure-free one.
if run transient --ranks=4 --steps=40 --reduce_faults=$rank@$step --final_state="$T/transient.safetensors"; then
  [[ $(field transient recoveries) == 1 && $(field transient failures) == 0 && $(field transient final_world) == 4 \
     && $(field transient checkpoint_reads) == 0 ]] || fail "transient: $(cat "$T/transient.json")"
  grep -q "worker $rank: caught up with step $step" "$T/transient.log" || fail "transient: no catch-up"
  same transient nodrop "catching up a step"
fi
if run drop --ranks=4 --steps=40 --kill-rank=$rank --kill-at-step=$step --failed_step=drop \
     --final_state="$T/drop.safetensors"; then
  dropped=$(python3 -c "import json; print(','.join(map(str, json.load(open('$T/drop.json'))['dropped_steps'])))")
  [[ -n "$dropped" ]] || fail "no dropped step reported: $(cat "$T/drop.json")"
  run reference --ranks=4 --steps=40 --skip_steps="$dropped" --final_state="$T/reference.safetensors" \
    && margin_ok reference
  same drop reference "a dropped step (step $dropped)"
  within "$(compare "$T/drop.safetensors" "$T/nodrop.safetensors")" 1e-5 && fail "the comparison cannot tell a dropped step"
fi

# 2. Two simultaneous failures, 4 experts with 3 replicas each: recovered
#    without the checkpoint, and the same training as without failures.
SEED=4 run plain4 --ranks=4 --steps=30 --experts=4 --slots=3 --final_state="$T/plain4.safetensors" && margin_ok plain4
if SEED=4 run double --ranks=4 --steps=30 --experts=4 --slots=3 --kills=1@12,2@12 --final_state="$T/double.safetensors"; then
  [[ $(field double failures) == 2 && $(field double recoveries) == 1 && $(field double checkpoint_reads) == 0 \
     && $(field double final_world) == 2 && $(field double steps) == 30 ]] || fail "double: $(cat "$T/double.json")"
  same double plain4 "two failures at once changed the training"
fi
# The failure-free reference of 2b and 2c (placement does not change the
# training: every expert's update is the same wherever its replicas live).
SEED=4 run plain6 --ranks=6 --ranks_per_node=2 --steps=30 --experts=4 --slots=2 --final_state="$T/plain6.safetensors" \
  && margin_ok plain6
# 2b. A failure during recovery (6 workers, 4 experts on 3 workers each): a
#     random worker dies at a random step, and a second one while the new
#     generation is being prepared (after some member configured it, before it
#     commits). The controller re-plans from what the survivors acknowledged or
#     reported; the run equals the failure-free one.
first=$((RANDOM % 6)); second=$(( (first + 1 + RANDOM % 5) % 6 )); step=$((5 + RANDOM % 20))
echo "killing worker $first at step $step, then worker $second during the recovery"
if SEED=4 run inrecovery --ranks=6 --steps=30 --experts=4 --slots=2 --kills=$first@$step --recovery_kills=$second \
     --final_state="$T/inrecovery.safetensors"; then
  [[ $(field inrecovery failures) == 2 && $(field inrecovery recoveries) == 2 \
     && $(field inrecovery checkpoint_reads) == 0 && $(field inrecovery final_world) == 4 ]] \
    || fail "inrecovery: $(cat "$T/inrecovery.json")"
  grep -q "failure during recovery" "$T/inrecovery.log" || fail "inrecovery: the second kill was not during a recovery"
  same inrecovery plain6 "a failure during recovery changed the training"
fi
# 2c. Nodes of two workers: replicas of an expert on distinct nodes. A whole
#     node dies (both workers): recovered without the checkpoint, the same
#     training as without failures. One worker of a node dies: its node leaves
#     whole.
if SEED=4 run node --ranks=6 --ranks_per_node=2 --steps=30 --experts=4 --slots=2 --kills=2@12,3@12 \
     --final_state="$T/node.safetensors"; then
  [[ $(field node failures) == 2 && $(field node recoveries) == 1 && $(field node checkpoint_reads) == 0 \
     && $(field node final_world) == 4 ]] || fail "node: $(cat "$T/node.json")"
  same node plain6 "losing a whole node changed the training"
fi
if SEED=4 run halfnode --ranks=6 --ranks_per_node=2 --steps=30 --experts=4 --slots=2 --kills=5@9; then
  [[ $(field halfnode failures) == 2 && $(field halfnode final_world) == 4 ]] || fail "halfnode: $(cat "$T/halfnode.json")"
  grep -q "worker 4 leaves with its node 2" "$T/halfnode.log" || fail "halfnode: worker 4 did not leave with its node"
fi

# 3. A join at step 10, with load-driven re-plans every 7 steps around it.
if run join --ranks=3 --steps=30 --joins=10 --rebalance_every=7 --final_state="$T/join.safetensors"; then
  [[ $(field join joins) == 1 && $(field join final_world) == 4 && $(field join experts_moved) -gt 0 \
     && $(field join rebalances) -ge 2 ]] \
    || fail "join: $(cat "$T/join.json")"
  run plain3 --ranks=3 --steps=30 --final_state="$T/plain3.safetensors" && margin_ok plain3
  same join plain3 "join changed the training"
fi

# 3b. A re-plan after every step (the generation switch on the last step must
#     still write the final state): the same training as without re-plans.
if run rebalance --ranks=3 --steps=30 --rebalance_every=1 --final_state="$T/rebalance.safetensors"; then
  [[ $(field rebalance rebalances) -gt 5 ]] || fail "rebalance: $(cat "$T/rebalance.json")"
  [[ -f "$T/rebalance.safetensors" ]] || fail "rebalance: no final state"
  [[ -f "$T/plain3.safetensors" ]] && same rebalance plain3 "re-planning changed the training"
fi

# 4. Fatal: 2 replicas per expert, two failures that take both replicas of some experts.
if SEED=4 run fatal --ranks=4 --steps=30 --experts=4 --slots=2 --kills=0@17,1@17 --checkpoint="$T/ckpt.safetensors" \
     --checkpoint_every=5; then
  [[ $(field fatal checkpoint_reads) == 1 && $(field fatal steps) == 30 ]] || fail "fatal: $(cat "$T/fatal.json")"
fi

# Bad flags: exit 2.
"$WARDEN" lazarus train --ranks=2 --experts=8 --slots=1 >/dev/null 2>&1; [[ $? == 2 ]] || fail "bad flags not exit 2"
out=$("$WARDEN" lazarus train --backend=nccl --ranks=2 2>&1); [[ $? == 2 && "$out" == *"--config=cuda"* ]] || fail "nccl on a CPU build: $out"
out=$("$WARDEN" lazarus train --ranks=5 --ranks_per_node=2 2>&1); [[ $? == 2 && "$out" == *"whole nodes"* ]] || fail "partial node: $out"
out=$("$WARDEN" lazarus train --failed_step=redo --ranks=2 2>&1); [[ $? == 2 && "$out" == *"retry or drop"* ]] || fail "bad --failed_step: $out"
out=$("$WARDEN" lazarus train --device=tpu --ranks=2 2>&1); [[ $? == 2 && "$out" == *"--device must be cpu or cuda"* ]] || fail "bad device: $out"
out=$("$WARDEN" lazarus train --device=cuda --ranks=2 2>&1); [[ $? == 2 && "$out" == *"sees no CUDA device"* ]] || fail "cuda without a GPU: $out"

echo "$failures failures"
[[ $failures == 0 ]]
