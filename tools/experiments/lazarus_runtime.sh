#!/usr/bin/env bash
# Measures the Lazarus runtime on local worker processes (Gloo on loopback):
#  1. recovery: SIGKILL of worker 2 at several steps (4 workers): seconds from
#     the kill to the next completed step, expert replicas moved, final loss
#     against a failure-free run;
#  2. throughput under skewed routing (a fixed gate bias, --gate_skew) for a
#     fixed expert-parallel layout (1 replica per expert, 2 slots per worker),
#     uniform replicas (4 slots, f = 1, never re-planned) and Lazarus (4 slots,
#     f = 1, replicas re-planned from the observed loads every 10 steps), on 4
#     workers (oversubscribing the 2 cores) and on 2 (one core each).
# Writes recovery.tsv and throughput.tsv. Not a default test: ~5 minutes.
# Pass --throughput-only to skip part 1.
#
#   tools/experiments/lazarus_runtime.sh [--throughput-only] [OUT_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ONLY_THROUGHPUT=0
if [[ "${1:-}" == "--throughput-only" ]]; then ONLY_THROUGHPUT=1; shift; fi
OUT="${1:-$ROOT/docs/results/lazarus_runtime}"
mkdir -p "$OUT"
cd "$ROOT"
bazel build //tools:warden >/dev/null
WARDEN="$ROOT/bazel-bin/tools/warden"
field() { python3 -c "import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print(v if not isinstance(v, list) else ','.join('%.3f' % x for x in v))" "$1" "$2"; }
run() {  # run NAME ARGS...
  local name=$1; shift
  "$WARDEN" lazarus train --print_every=1000 --summary="$OUT/$name.json" "$@" > "$OUT/$name.log" 2>&1
}

if [[ $ONLY_THROUGHPUT == 0 ]]; then
echo -e "kill_step\trecovery_seconds\texperts_moved\tcheckpoint_reads\tfinal_loss\tfailure_free_loss" > "$OUT/recovery.tsv"
run nofail --ranks=4 --steps=80
for step in 20 40 60; do
  run "kill$step" --ranks=4 --steps=80 --kill-rank=2 --kill-at-step=$step
  echo -e "$step\t$(field "$OUT/kill$step.json" recovery_seconds)\t$(field "$OUT/kill$step.json" experts_moved)\t$(field "$OUT/kill$step.json" checkpoint_reads)\t$(field "$OUT/kill$step.json" final_loss)\t$(field "$OUT/nofail.json" final_loss)" >> "$OUT/recovery.tsv"
done
fi

echo -e "workers\tgate_skew\tlayout\ttokens_per_second\tfinal_loss" > "$OUT/throughput.tsv"
for ranks in 4 2; do
  ep_slots=$((8 / ranks))  # 8 experts: one replica each
  for skew in 0 2 4; do
    for layout in ep uniform lazarus; do
      case $layout in
        ep) flags=(--slots=$ep_slots --fault_tolerance=1) ;;
        uniform) flags=(--slots=$((2 * ep_slots)) --fault_tolerance=1) ;;
        lazarus) flags=(--slots=$((2 * ep_slots)) --fault_tolerance=1 --rebalance_every=10) ;;
      esac
      name="w${ranks}_skew${skew}_$layout"
      run "$name" --ranks=$ranks --steps=60 --gate_skew=$skew "${flags[@]}"
      echo -e "$ranks\t$skew\t$layout\t$(field "$OUT/$name.json" tokens_per_second)\t$(field "$OUT/$name.json" final_loss)" >> "$OUT/throughput.tsv"
    done
  done
done
rm -f "$OUT"/*.log
cat "$OUT/recovery.tsv" "$OUT/throughput.tsv"
