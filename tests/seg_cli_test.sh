#!/usr/bin/env bash
# `warden seg` end to end on real MNIST scenes: a short training run writes a
# segmenter that `seg attack` and `seg certify` then load; the attack table,
# TSV, plots and picture are written; the same flags give the same TSV; bad
# input (a bad checkpoint or scene file, eps < 0, a budget of 0) exits 2 with
# one line and writes nothing.
set -u
source "$TEST_SRCDIR/warden/tests/cli_lib.sh"

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

# Scenes from a file (`seg scenes --out`, then --scenes): the same scenes as
# the generated ones give the same clean scores; counts are capped at the file.
"$WARDEN" seg scenes --count=3 --out="$dir/s.safetensors" >/dev/null 2>&1 || fail "scenes --out"
from_file=$("$WARDEN" seg attack --model="$dir/m.safetensors" --scenes="$dir/s.safetensors" --count=10 \
  --attacks=pgd --epsilons=4/255 --steps=2 --out="$dir/f.tsv" 2>/dev/null) || fail "attack --scenes"
generated=$("$WARDEN" seg attack --model="$dir/m.safetensors" --count=3 \
  --attacks=pgd --epsilons=4/255 --steps=2 --out="$dir/g.tsv" 2>/dev/null) || fail "attack on 3 scenes"
grep -q " on 3 mnist test scenes" <<<"$from_file" || fail "the file's 3 scenes were not used: $from_file"
[[ "$(grep '^clean' <<<"$from_file")" == "$(grep '^clean' <<<"$generated")" ]] \
  || fail "file scenes score differently: $(grep '^clean' <<<"$from_file") vs $(grep '^clean' <<<"$generated")"
"$WARDEN" seg certify --model="$dir/m.safetensors" --scenes="$dir/s.safetensors" --n=20 --batch=20 \
  >/dev/null 2>&1 || fail "certify --scenes"
"$WARDEN" seg scenes --count=2 --size=32 --out="$dir/s32.safetensors" >/dev/null 2>&1 || fail "scenes --size=32"
python3 - "$dir" <<'PY'
import json, struct, sys
d = sys.argv[1]
def scene_file(name, pixel):
    header = {"images": {"dtype": "F32", "shape": [1, 1, 48, 48], "data_offsets": [0, 48 * 48 * 4]},
              "masks": {"dtype": "I64", "shape": [1, 48, 48], "data_offsets": [48 * 48 * 4, 48 * 48 * 12]}}
    h = json.dumps(header).encode()
    pixels = [0.5] * (48 * 48)
    pixels[100] = pixel
    data = struct.pack("<%df" % len(pixels), *pixels) + bytes(48 * 48 * 8)
    open(f"{d}/{name}.safetensors", "wb").write(struct.pack("<Q", len(h)) + h + data)
scene_file("bright", 1.5)
scene_file("nan", float("nan"))
PY

expect_error() { expect_usage_error "$1" "$2" seg "${@:3}"; }  # NAME PATTERN ARGS...
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
expect_error "scenes of another size" "scenes are 32x32 but .* was trained on 48x48" \
  attack "$m" --scenes="$dir/s32.safetensors" --out="$dir/x.tsv"
expect_error "pixel outside [0, 1]" "pixels must lie in \[0, 1\], found \[0.5, 1.5\]" \
  attack "$m" --scenes="$dir/bright.safetensors" --out="$dir/x.tsv"
expect_error "NaN pixel" "images hold NaN" certify "$m" --scenes="$dir/nan.safetensors"
expect_error "missing scene file" "none.safetensors" attack "$m" --scenes="$dir/none.safetensors" --out="$dir/x.tsv"
expect_error "scene file out" "must end in .safetensors" scenes --out="$dir/x.pt"
expect_error "bad architecture" "architecture must be unet or fcn" train --architecture=resnet --out="$dir/x.safetensors"
expect_error "bad out" "must end in .safetensors" train --out="$dir/x.pt"
[[ ! -e "$dir/x.tsv" && ! -e "$dir/x.safetensors" && ! -e "$dir/x_accuracy.svg" ]] || fail "a failed run wrote files: $(ls "$dir")"

finish
