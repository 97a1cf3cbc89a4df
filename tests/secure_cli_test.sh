#!/usr/bin/env bash
# `warden secure` end to end: the CI preset of the measurement on real MNIST
# (encoder pre-training, linear probe, bagging, kNN, rNN, DP-SGD, SISA and
# randomized smoothing, each on pixels and on the encoder) writes its tables
# and plots; the
# accountant reproduces the spec's vectors; bad input exits 2 with one line.
set -u
source "$TEST_SRCDIR/warden/tests/cli_lib.sh"

out=$("$WARDEN" secure measure --preset=ci --datasets=mnist --tests=100 --encoder_dir="$dir/enc" \
  --out="$dir/m.tsv" 2>"$dir/m.err"); rc=$?
[[ $rc -eq 0 ]] || fail "measure rc=$rc: $(tail -3 "$dir/m.err")"
for defence in "linear probe" bagging kNN rNN DP-SGD SISA "randomized smoothing"; do
  for arm in pixels encoder; do
    grep -q "^mnist	$defence	.*	$arm	0\.[0-9]*	" <<<"$out" || fail "no $defence row for $arm"
  done
done
grep -q "^  mnist bagging: accuracy .* mean certified poisoning size" <<<"$out" || fail "no findings: $out"
grep -q "^  mnist randomized smoothing: accuracy .* mean certified l2 radius" <<<"$out" || fail "no RS finding"
grep -q "^  mnist SISA R=1, S=1 -> S=10: pixels" <<<"$out" || fail "no SISA finding: $out"
# header + (probe + 1 bagging + 2 kNN + rNN + 2 DP + 4 SISA) per arm (pixels, encoder; no cross arm with
# one data set) + 2 smoothing rows (one sigma, two arms)
[[ $(wc -l < "$dir/m.tsv") -eq $((1 + 2 * 11 + 2)) ]] || fail "TSV rows: $(wc -l < "$dir/m.tsv")"
# S=1 R=1: a deletion retrains everything; with 10 shards about a tenth.
grep -q "^mnist	SISA	S=1 R=1	encoder	0\.[0-9]*	1\.0000	" "$dir/m.tsv" || fail "S=1 share is not 1"
grep -Eq "^mnist	SISA	S=10 R=1	encoder	0\.[0-9]*	0\.(099|100)[0-9]	" "$dir/m.tsv" || fail "S=10 share"
[[ $(wc -l < "$dir/m_rs.tsv") -eq 3 && $(wc -l < "$dir/m_sisa.tsv") -eq 9 ]] || fail "side tables"
for f in m_bagging.svg m_knn.svg m_dp.svg m_rs.svg m_sisa.svg; do
  grep -q "<polyline" "$dir/$f" || fail "$f draws nothing"
done
[[ -s "$dir/enc/encoder_mnist.safetensors" ]] || fail "no cached encoder"
grep -q "encoder mnist: epoch 1/1" "$dir/m.err" || fail "no progress on stderr"
# A second run loads the cached encoder and gives the same table.
out2=$("$WARDEN" secure measure --preset=ci --datasets=mnist --tests=100 --encoder_dir="$dir/enc" \
  --out="$dir/m2.tsv" 2>/dev/null) || fail "second measure"
grep -q "note: encoder for mnist: loaded" <<<"$out2" || fail "cached encoder not loaded"
cmp -s "$dir/m.tsv" "$dir/m2.tsv" || fail "the cached encoder gave another table"

acc=$("$WARDEN" secure accountant --q=0.01 --sigma=1 --steps=1000 --orders=integer)
grep -q "classic conversion: epsilon 2.538348 at order 8$" <<<"$acc" || fail "accountant classic: $acc"
grep -q "improved conversion: epsilon 2.107753 at order 8$" <<<"$acc" || fail "accountant improved: $acc"
edge=$("$WARDEN" secure accountant --q=0.001 --sigma=4 --steps=10000 --orders=integer)
grep -q "edge of the orders" <<<"$edge" || fail "no boundary warning: $edge"

expect_error() { expect_usage_error "$1" "$2" secure "${@:3}"; }  # NAME PATTERN ARGS...
expect_error "bad preset" "--preset must be ci or full" measure --preset=huge
expect_error "bad data set" "unknown data set 'cifar'" measure --datasets=cifar
expect_error "bad out" "must end in .tsv" measure --out="$dir/x.txt"
expect_error "bad q" "need --q in (0, 1]" accountant --q=2
expect_error "bad order" "an order must be > 1" accountant --orders=0.5,2
expect_error "no target" "needs --epsilon > 0" accountant --sigma=-1
[[ ! -e "$dir/x.txt" ]] || fail "a failed run wrote a file"
finish
