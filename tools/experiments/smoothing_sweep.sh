#!/usr/bin/env bash
# Trains the smoothing base classifier at every sigma of Cohen et al. on MNIST
# and Fashion-MNIST, certifies a sample of each test set, and writes one plot
# per data set. Not a default test: ~15 minutes on 2 cores.
#
#   tools/experiments/smoothing_sweep.sh [OUT_DIR] [EPOCHS] [LIMIT] [N]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-$ROOT/docs/results/sweep}"
EPOCHS="${2:-3}"
LIMIT="${3:-100}"
N="${4:-2000}"
mkdir -p "$OUT"
cd "$ROOT"
bazel build //tools:warden >/dev/null
WARDEN="$ROOT/bazel-bin/tools/warden"
for dataset in mnist fashion-mnist; do
  tsvs=()
  for sigma in 0.12 0.25 0.5 1.0; do
    model="$OUT/${dataset}_sigma${sigma}.safetensors"
    "$WARDEN" smooth train --dataset="$dataset" --sigma="$sigma" --epochs="$EPOCHS" --seed=0 \
      --out="$model" | tail -2
    "$WARDEN" smooth certify --dataset="$dataset" --model="$model" --sigma="$sigma" --n="$N" \
      --limit="$LIMIT" --skip=$((10000 / LIMIT)) --seed=0 --out="$OUT/${dataset}_sigma${sigma}" | head -3
    tsvs+=("$OUT/${dataset}_sigma${sigma}.tsv")
  done
  "$WARDEN" smooth plot "${tsvs[@]}" --title "$dataset: certified accuracy, n=$N, alpha=0.001" \
    --out="$OUT/${dataset}.svg"
done
