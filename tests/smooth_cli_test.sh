#!/usr/bin/env bash
# `warden smooth` end to end on real MNIST: certify writes the TSV, table and
# plot; the same seed gives an identical TSV; bad input exits 2 with one line;
# a short training run writes a model that certify then loads.
set -u
source "$TEST_SRCDIR/warden/tests/cli_lib.sh"

# sigma 0.5 on the sigma-0.25 model: counts are not all saturated, so seeds matter.
common=(--n=500 --limit=6 --skip=1000 --batch=500 --notime --sigma=0.5)
out=$("$WARDEN" smooth certify "${common[@]}" --seed=3 --out="$dir/a" 2>"$dir/a.err"); rc=$?
[[ $rc -eq 0 ]] || fail "certify rc=$rc: $(cat "$dir/a.err")"
grep -q "certified accuracy over 6 inputs" <<<"$out" || fail "no table: $out"
grep -q "certify 6/6" "$dir/a.err" || fail "no progress on stderr"
[[ $(head -1 "$dir/a.tsv") == $'idx\tlabel\tpredict\tradius\tcorrect\ttime' ]] || fail "TSV header"
[[ $(wc -l < "$dir/a.tsv") -eq 7 ]] || fail "TSV rows: $(cat "$dir/a.tsv")"
grep -q "<svg" "$dir/a.svg" || fail "no SVG plot"

# An --out ending in .tsv names the TSV; the plot goes beside it (not b.tsv.tsv).
"$WARDEN" smooth certify "${common[@]}" --seed=3 --out="$dir/b.tsv" >/dev/null 2>&1
cmp -s "$dir/a.tsv" "$dir/b.tsv" || fail "same seed gave different TSVs"
[[ -f "$dir/b.svg" && ! -e "$dir/b.tsv.tsv" ]] || fail "--out=b.tsv: $(ls "$dir")"
"$WARDEN" smooth certify "${common[@]}" --seed=4 --out="$dir/c" >/dev/null 2>&1
cmp -s "$dir/a.tsv" "$dir/c.tsv" && fail "different seeds gave identical TSVs"

plot=$("$WARDEN" smooth plot "$dir/a.tsv" "$dir/c.tsv" --out="$dir/both.svg" 2>&1) || fail "plot: $plot"
[[ $(grep -c "<polyline" "$dir/both.svg") -eq 2 ]] || fail "plot should draw two curves"
grep -q "certified accuracy over 6 inputs" <<<"$plot" || fail "plot prints no table: $plot"
printf 'idx\tlabel\tpredict\tradius\tcorrect\ttime\n1\t2\tx\n' > "$dir/bad.tsv"

# Scale-out: three shards (explicit K/N, and a Slurm array task read from the
# environment) merge into the one-process TSV, byte for byte.
unset SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_COUNT JOB_COMPLETION_INDEX
"$WARDEN" smooth certify "${common[@]}" --seed=3 --shard=0/3 --out="$dir/s0" >/dev/null 2>&1 || fail "shard 0/3"
SLURM_ARRAY_TASK_ID=11 SLURM_ARRAY_TASK_MIN=10 SLURM_ARRAY_TASK_COUNT=3 \
  "$WARDEN" smooth certify "${common[@]}" --seed=3 --shard=auto --out="$dir/s1" >/dev/null 2>&1 || fail "shard auto"
JOB_COMPLETION_INDEX=2 "$WARDEN" smooth certify "${common[@]}" --seed=3 --shard=auto/3 --out="$dir/s2" \
  >/dev/null 2>&1 || fail "shard auto/3 (Indexed Job)"
[[ $(wc -l < "$dir/s1.tsv") -eq 3 ]] || fail "shard 1/3 of 6 inputs: $(cat "$dir/s1.tsv")"
merged=$("$WARDEN" merge "$dir/s2.tsv" "$dir/s0.tsv" "$dir/s1.tsv" --out="$dir/merged" 2>&1) || fail "merge: $merged"
cmp -s "$dir/a.tsv" "$dir/merged.tsv" || fail "merged shards differ from one process: $(diff "$dir/a.tsv" "$dir/merged.tsv")"
grep -q "merged 3 files, 6 inputs" <<<"$merged" || fail "merge summary: $merged"
expect_usage_error "overlapping shards" "input 0 is in two files" \
  merge "$dir/s0.tsv" "$dir/s0.tsv" --out="$dir/x"
expect_usage_error "merge a trace" "not a certification TSV" merge "$dir/a.tsv" "$dir/a.svg" --out="$dir/x"
expect_usage_error "bad shard" "--shard must be K/N, auto or auto/N" smooth certify --shard=2 --out="$dir/x"
expect_usage_error "shard out of range" "out of range" smooth certify --shard=3/3 --out="$dir/x"
expect_usage_error "auto without a scheduler" "neither SLURM_ARRAY_TASK_ID" smooth certify --shard=auto --out="$dir/x"

expect_error() { expect_usage_error "$1" "$2" smooth "${@:3}"; }  # NAME PATTERN ARGS...
expect_error "bad sigma" "sigma > 0" certify --sigma=-1 --out="$dir/x"
expect_error "bad dataset" "unknown data set" certify --dataset=cifar10 --limit=1 --out="$dir/x"
expect_error "missing model" "No such file" certify --model="$dir/none.safetensors" --out="$dir/x"
expect_error "bad device" "unknown device" certify --device=tpu --out="$dir/x"
expect_error "bad flag value" "expected an integer" certify --n=lots
expect_error "malformed TSV" "line 2 is malformed" plot "$dir/bad.tsv" --out="$dir/x.svg"
expect_error "missing TSV" "cannot open" plot "$dir/none.tsv" --out="$dir/x.svg"
printf 'not a model' > "$dir/bad.safetensors"
expect_error "not a model" "neither a safetensors model nor a TorchScript module" \
  certify --model="$dir/bad.safetensors" --out="$dir/x"
printf '\x10\x00\x00\x00\x00\x00\x00\x00{"a": broken}  ' > "$dir/corrupt.pt"
expect_error "corrupt safetensors" "invalid safetensors" certify --model="$dir/corrupt.pt" --out="$dir/x"
printf 'PK\x03\x04 not really a zip' > "$dir/fake.safetensors"
expect_error "fake TorchScript" "not a loadable TorchScript module" certify --model="$dir/fake.safetensors" --out="$dir/x"
expect_error "bad precision" "precision must be" certify --precision=fp8 --out="$dir/x"

# Sequential modes: a fixed-n run's trace replays to exactly what --adaptive and
# --radius write live (same draws); bad combinations are flag errors.
seq=(--n=2000 --first=500 --limit=3 --skip=900 --batch=500 --notime --seed=1)
"$WARDEN" smooth certify "${seq[@]}" --trace --out="$dir/f" >"$dir/f.out" 2>&1 || fail "certify --trace: $(tail -2 "$dir/f.out")"
[[ $(head -2 "$dir/f.trace.tsv" | tail -1) == $'idx\tlabel\ttop\tk@500\tk@1000\tk@2000' ]] || fail "trace columns"
for mode in --adaptive --radius=0.5; do
  live=$("$WARDEN" smooth certify "${seq[@]}" "$mode" --out="$dir/live" 2>/dev/null) || fail "certify $mode"
  grep -q "forward passes per input" <<<"$live" || fail "certify $mode prints no forward passes: $live"
  [[ $(head -1 "$dir/live.tsv") == $'idx\tlabel\tpredict\tradius\tcorrect\tsamples\ttime' ]] || fail "$mode header"
  "$WARDEN" smooth replay "$dir/f.trace.tsv" "$mode" --out="$dir/replay" >/dev/null 2>&1 || fail "replay $mode"
  cmp -s "$dir/live.tsv" "$dir/replay.tsv" || fail "replay $mode differs from the live run"
done
expect_error "radius and adaptive" "exclude each other" certify --radius=0.5 --adaptive --out="$dir/x"
expect_error "negative radius" "radius must be >= 0" certify --radius=-0.5 --out="$dir/x"
expect_error "first beyond n" "first" certify --adaptive --n=100 --first=1000 --out="$dir/x"
expect_error "trace with adaptive" "fixed-n" certify --adaptive --trace --out="$dir/x"
expect_error "replay without a mode" "one of --radius and --adaptive" replay "$dir/f.trace.tsv"
expect_error "replay a certify TSV" "not a certify trace" replay "$dir/a.tsv" --adaptive --out="$dir/x"

# A user's TorchScript classifier (any architecture; here mean(x) > 0.5 with 2 classes).
"$WARDEN" smooth certify --model=components/smoothing/testdata/mean_threshold.pt --classes=2 --limit=2 \
  --n=200 --notime --out="$dir/ts" >"$dir/ts.out" 2>&1 || fail "certify a TorchScript model: $(tail -2 "$dir/ts.out")"
[[ $(wc -l <"$dir/ts.tsv") == 3 ]] || fail "TorchScript certify wrote $(wc -l <"$dir/ts.tsv") lines"

"$WARDEN" smooth train --limit=512 --epochs=1 --batch=128 --sigma=0.5 --out="$dir/m.safetensors" \
  >"$dir/train.out" 2>&1 || fail "train: $(tail -3 "$dir/train.out")"
grep -q "<svg" "$dir/m.svg" || fail "no training curve beside the model (m.svg)"
"$WARDEN" smooth certify --model="$dir/m.safetensors" --sigma=0.5 "${common[@]}" --out="$dir/d" \
  >/dev/null 2>"$dir/d.err" || fail "certify with trained model: $(cat "$dir/d.err")"
grep -q "trained at sigma=0.25" "$dir/a.err" || fail "no note about the sigma mismatch"
grep -q "trained at sigma=0.5" "$dir/d.err" && fail "sigma note printed for a matching model"
finish
