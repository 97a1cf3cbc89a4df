# Helpers of the `warden lazarus train` end-to-end tests (sourced by
# lazarus_train_test.sh and lazarus_recovery_stress_test.sh): run a training
# job with a deadline, read its JSON summary, compare the final states of two
# runs over every rank's file, check routing margins.
WARDEN="$TEST_SRCDIR/warden/tools/warden"
T="$TEST_TMPDIR"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# Runs are compared to rounding (max |diff| <= 1e-5 over every tensor: dense
# and expert replicas with Adam state), which holds only while no token's top
# gate logits are tied to within float noise: a reconfigured run sums in another
# order, and a gap of ~1e-7 can send a token to another expert (seen with seed
# 0: a 1.8e-7 gap at step 12 gave a 0.004 difference). Seed 5's trajectories
# (8 experts) and seed 4's (4 experts: SEED=4 run ...) keep every gap above
# 1e-4 (summary's min_gate_margin); margin_ok checks it.
run() {  # run NAME ARGS...: the JSON summary goes to $T/NAME.json
  local name=$1; shift
  "$WARDEN" lazarus train --seed="${SEED:-5}" --deadline=120 --print_every=1000 --summary="$T/$name.json" "$@" > "$T/$name.log" 2>&1 \
    || { fail "$name exited $?"; cat "$T/$name.log"; return 1; }
}
field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$T/$1.json" "$2"; }
compare() {  # compare A B [each]: max |a - b| over every tensor of runs A and B ("each": per tensor)
  # A run's state is the union of its ranks' files (A, A.rank1, ...): dense and
  # every expert replica, each with Adam's moments. Replicas of one tensor
  # within a run must agree (to 1e-6), and both runs must hold the same tensors.
  python3 - "$1" "$2" "${3:-}" <<'PY'
import array, glob, json, struct, sys
def read(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    h = json.loads(raw[8:8 + n]); base = 8 + n
    return {k: array.array("f", raw[base + v["data_offsets"][0]: base + v["data_offsets"][1]])
            for k, v in h.items() if k != "__metadata__"}
def run_state(stem):
    files = [stem] + sorted(glob.glob(stem + ".rank*"))
    state = {}
    for f in files:
        for k, t in read(f).items():
            if k in state:
                d = max(abs(x - y) for x, y in zip(state[k], t))
                assert d <= 1e-6, f"{stem}: replicas of {k} differ by {d} ({f})"
            else:
                state[k] = t
    return state, len(files)
(a, na), (b, nb) = run_state(sys.argv[1]), run_state(sys.argv[2])
assert "dense" in a and "dense" in b, (sorted(a), sorted(b))
assert set(a) == set(b), f"the runs hold different tensors: {sorted(set(a) ^ set(b))}"
diffs = {k: max(abs(x - y) for x, y in zip(a[k], b[k])) for k in sorted(a)}
if sys.argv[3] == "each":
    for k in sorted(diffs): print(k, diffs[k])
else:
    experts = sum(1 for k in a if k.startswith("expert."))
    print(max(diffs.values()), f"({experts} experts with Adam state, dense with Adam state; {na} and {nb} rank files)")
PY
}
margin_ok() {  # margin_ok NAME: no routing near-tie in run NAME (else its comparisons mean nothing)
  within 1e-5 "$(field "$1" min_gate_margin)" || { fail "$1: a routing near-tie ($(field "$1" min_gate_margin)); pick another --seed"; return 1; }
}
same() {  # same A B WHAT: final states of runs A and B equal to rounding
  local out diff; out=$(compare "$T/$1.safetensors" "$T/$2.safetensors") || { fail "$3: $out"; return; }
  diff=${out%% *}
  echo "$1 vs $2: max |diff| = $out"
  if ! within "$diff" 1e-5; then
    fail "$3: parameters differ by $diff"
    echo "--- $1:"; cat "$T/$1.log"; echo "--- $2:"; cat "$T/$2.log"
    compare "$T/$1.safetensors" "$T/$2.safetensors" each
  fi
}
within() { python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)" "$1" "$2"; }
