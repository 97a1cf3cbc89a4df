#!/usr/bin/env bash
# `warden seg` end to end on real MNIST scenes: a short training run writes a
# segmenter that `seg attack` and `seg certify` then load; the attack table,
# TSV, plots and picture are written; the same flags give the same TSV; bad
# input exits 2 with one line and writes nothing.
set -u
WARDEN="$TEST_SRCDIR/warden/tools/warden"
dir="$TEST_TMPDIR"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

out=$("$WARDEN" seg train --width=8 --train_count=256 --test_count=16 --epochs=2 \
  --out="$dir/m.safetensors" 2>"$dir/train.err"); rc=$?
[[ $rc -eq 0 ]] || fail "train rc=$rc: $(cat "$dir/train.err")"
grep -q "^epoch 2  loss .* mIoU" <<<"$out" || fail "train prints no scores: $out"
grep -q "epoch 2: batch 8/8" "$dir/train.err" || fail "train shows no progress"
grep -q "<svg" "$dir/m.svg" || fail "train wrote no curves"

attack=(--model="$dir/m.safetensors" --count=4 --bb_count=2 --epsilons=4/255,8/255
        --attacks=pgd,cr-pgd,pbgd,cr-pbgd,bgd1,noise --steps=5 --budgets=20,40 --seeds=2 --bb_refresh=5 --bins=2)
out=$("$WARDEN" seg attack "${attack[@]}" --out="$dir/a.tsv" 2>"$dir/a.err"); rc=$?
[[ $rc -eq 0 ]] || fail "attack rc=$rc: $(cat "$dir/a.err")"
grep -q "^clean	0	-	" <<<"$out" || fail "no clean row: $out"
grep -q "^cr-pgd	0.03137 (8/255)	-	.*	13 fwd + 5 bwd	" <<<"$out" || fail "no CR-PGD row with its cost: $out"
grep -q "^cr-pbgd	0.01569 (4/255)	40	0\.[0-9]* ± " <<<"$out" || fail "no CR-PBGD row with an interval: $out"
grep -q "^bin	radius from" <<<"$out" || fail "no flip-rate table: $out"
# clean + 2 white-box × 2 eps + 4 black-box × 2 eps × 2 budgets × 2 seeds + header
[[ $(wc -l < "$dir/a.tsv") -eq $((1 + 1 + 4 + 32)) ]] || fail "TSV rows: $(wc -l < "$dir/a.tsv")"
for f in a_accuracy.svg a_budget.svg; do grep -q "<polyline" "$dir/$f" || fail "$f draws nothing"; done
[[ $(wc -l < "$dir/a_flips.tsv") -eq 3 ]] || fail "flips TSV: $(cat "$dir/a_flips.tsv")"
[[ $(head -c 8 "$dir/a_examples.png" | od -An -c | tr -d ' ') == '211PNG\r\n032\n' ]] || fail "examples not a PNG"
"$WARDEN" seg attack "${attack[@]}" --out="$dir/b.tsv" >/dev/null 2>&1
cmp -s "$dir/a.tsv" "$dir/b.tsv" || fail "the same flags gave different TSVs"

out=$("$WARDEN" seg certify --model="$dir/m.safetensors" --count=2 --n=20 --batch=20 --show=2 \
  --png="$dir/c.png" 2>"$dir/c.err"); rc=$?
[[ $rc -eq 0 ]] || fail "certify rc=$rc: $(cat "$dir/c.err")"
grep -q "^holm	" <<<"$out" && grep -q "^bonferroni	" <<<"$out" || fail "certify table: $out"
[[ -s "$dir/c.png" ]] || fail "certify wrote no picture"

expect_error() {  # expect_error NAME PATTERN ARGS...
  local name="$1" pattern="$2"; shift 2
  local err rc
  err=$("$WARDEN" seg "$@" 2>&1 >/dev/null); rc=$?
  [[ $rc -eq 2 ]] || fail "$name: rc=$rc (want 2): $err"
  grep -q -- "$pattern" <<<"$err" || fail "$name: error '$err' lacks '$pattern'"
  [[ $(grep -c . <<<"$err") -eq 1 ]] || fail "$name: error is not one line: $err"
}
m="--model=$dir/m.safetensors"
expect_error "negative eps" "epsilon must be >= 0" attack "$m" --epsilons=-1/255 --out="$dir/x.tsv"
expect_error "zero budget" "budget must be a whole number >= 1" attack "$m" --budgets=0 --attacks=pbgd --out="$dir/x.tsv"
expect_error "budget below a round" "less than one round" attack "$m" --budgets=10 --attacks=cr-pbgd --count=1 --out="$dir/x.tsv"
expect_error "bad eps text" "is not a number" attack "$m" --epsilons=eight --out="$dir/x.tsv"
expect_error "bad attack" "unknown attack 'fgsm'" attack "$m" --attacks=fgsm --out="$dir/x.tsv"
expect_error "bad norm" "norm must be linf or l2" attack "$m" --norm=l1 --out="$dir/x.tsv"
expect_error "missing model" "No such file\|not found\|cannot open" attack --model="$dir/none.safetensors" --out="$dir/x.tsv"
printf 'not a checkpoint' > "$dir/bad.safetensors"
expect_error "garbage model" "bad.safetensors" attack --model="$dir/bad.safetensors" --out="$dir/x.tsv"
# A checkpoint of another model: the MNIST classifier of `smooth train`.
"$WARDEN" smooth train --limit=64 --epochs=1 --out="$dir/cnn.safetensors" >/dev/null 2>&1 || fail "smooth train"
expect_error "classifier checkpoint" "architecture must be unet or fcn, not 'mnist_cnn'" \
  attack --model="$dir/cnn.safetensors" --out="$dir/x.tsv"
expect_error "bad architecture" "architecture must be unet or fcn" train --architecture=resnet --out="$dir/x.safetensors"
expect_error "bad out" "must end in .safetensors" train --out="$dir/x.pt"
[[ ! -e "$dir/x.tsv" && ! -e "$dir/x.safetensors" && ! -e "$dir/x_accuracy.svg" ]] || fail "a failed run wrote files: $(ls "$dir")"

echo "$failures failure(s)"
exit $((failures > 0))
