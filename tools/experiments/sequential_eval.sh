#!/usr/bin/env bash
# Sequential certification against fixed-n CERTIFY on MNIST (issue 22): one
# fixed-n run per sigma with --trace (n = 100,000), then `smooth replay` of
# --adaptive at several tolerances and --radius at several radii on the same
# draws, and a plot of fixed-n against adaptive. Prints one table row per mode:
#   mode  forward passes per input  (x fixed-n)  mean radius  (x fixed-n)  cert. acc at r
# Not a default test: the fixed-n runs are 100,100 forwards per digit.
#
#   tools/experiments/sequential_eval.sh OUT_DIR SIGMA MODEL LIMIT SKIP
#   (MODEL "" = the embedded sigma = 0.25 model; an existing OUT_DIR/mnist_s<SIGMA>.trace.tsv is reused)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$1" SIGMA="$2" MODEL="$3" LIMIT="$4" SKIP="$5"
mkdir -p "$OUT"
WARDEN="${WARDEN:-$ROOT/bazel-bin/tools/warden}"
stem="$OUT/mnist_s$SIGMA"
if [[ ! -f "$stem.trace.tsv" ]]; then
  "$WARDEN" smooth certify ${MODEL:+--model="$MODEL"} --sigma="$SIGMA" --n=100000 --first=1000 \
    --limit="$LIMIT" --skip="$SKIP" --seed=0 --trace --out="$stem" >/dev/null
fi
# n0 + n of the fixed-n run, from the trace's first line.
fixed_n=$(head -1 "$stem.trace.tsv" | tr ' ' '\n' | awk -F= '$1 == "n0" || $1 == "n" { s += $2 } END { print s }')
# Mean radius (abstentions count 0) and mean samples of a TSV; fixed-n rows have no samples column.
summary() {
  awk -F'\t' -v fixed="$fixed_n" 'NR > 1 { r += $4; s += (NF == 7 ? $6 : fixed); n++ }
    END { printf "%.4f %.1f\n", r / n, s / n }' "$1"
}
read -r fixed_radius fixed_samples < <(summary "$stem.tsv")
printf '| mode | forward passes / input | x fixed-n | mean radius | x fixed-n |\n| --- | --- | --- | --- | --- |\n'
printf '| fixed-n | %.0f | 1 | %.3f | 1 |\n' "$fixed_samples" "$fixed_radius"
for tolerance in 0.02 0.05 0.1 0.2; do
  "$WARDEN" smooth replay "$stem.trace.tsv" --adaptive --tolerance="$tolerance" \
    --out="$stem.adaptive$tolerance" >/dev/null
  read -r radius samples < <(summary "$stem.adaptive$tolerance.tsv")
  awk -v m="adaptive, tolerance $tolerance" -v s="$samples" -v fs="$fixed_samples" -v r="$radius" -v fr="$fixed_radius" \
    'BEGIN { printf "| %s | %.0f | %.3f | %.3f | %.3f |\n", m, s, s / fs, r, r / fr }'
done
for r in 0.25 0.5 0.75 1.0 1.5; do
  "$WARDEN" smooth replay "$stem.trace.tsv" --radius="$r" --out="$stem.radius$r" >/dev/null
  read -r _ samples < <(summary "$stem.radius$r.tsv")
  # Certified accuracy at r: the sequential test's against fixed-n's.
  seq_acc=$(awk -F'\t' 'NR > 1 { c += $5; n++ } END { printf "%.3f", c / n }' "$stem.radius$r.tsv")
  fixed_acc=$(awk -F'\t' -v r="$r" 'NR > 1 { c += ($5 == 1 && $4 >= r); n++ } END { printf "%.3f", c / n }' "$stem.tsv")
  awk -v m="radius $r (cert. acc $seq_acc vs fixed-n $fixed_acc)" -v s="$samples" -v fs="$fixed_samples" \
    'BEGIN { printf "| %s | %.0f | %.3f | — | — |\n", m, s, s / fs }'
done
"$WARDEN" smooth plot "$stem.tsv" "$stem.adaptive0.05.tsv" "$stem.adaptive0.1.tsv" \
  --title "MNIST sigma=$SIGMA: fixed-n (n=100,000) vs adaptive" --out="$stem.fixed_vs_adaptive.svg" >/dev/null
