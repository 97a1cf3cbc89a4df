#!/usr/bin/env bash
# The Lazarus simulator's table beside the paper's speedups (docs/benchmarks.md,
# "Lazarus simulator"): GPT-S and GPT-L at 5-, 10- and 40-minute MTBF (one
# failure per interval, to half the nodes) and on the spot model, 10 seeds each.
#   tools/experiments/lazarus_sim_table.sh [OUT_DIR] [extra simulate flags...]
# Plots go to OUT_DIR (default docs/results/lazarus); the table to stdout.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
out="${1:-docs/results/lazarus}"; shift || true
bazel build //tools:warden >/dev/null 2>&1
warden=bazel-bin/tools/warden
mkdir -p "$out"

# name | flags | paper DS speedup | paper DS(FT) speedup
rows=(
  "5-min MTBF, 30 min|--trace=controlled --interval_min=5 --horizon_min=30|gpt-s:2.8:1.4|gpt-l:5.7:2.8"
  "10-min MTBF, 60 min|--trace=controlled --interval_min=10 --horizon_min=60|gpt-s:–:–|gpt-l:–:–"
  "40-min MTBF, 200 min (checkpoints 4× rarer)|--trace=controlled --interval_min=40 --horizon_min=200 --ds_checkpoint_every=200 --dsft_checkpoint_every=1000|gpt-s:1.6:–|gpt-l:2.3:–"
  "spot (Bamboo model), 80 min|--trace=spot --horizon_min=80|gpt-s:2.3:1.2|gpt-l:3.4:1.8"
)
echo "| scenario | model | Lazarus | DS | DS(FT) | ours vs DS / DS(FT) | paper vs DS / DS(FT) | DS overhead (ckpt + restart + redone) | DS(FT) restart (+ redone) |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for row in "${rows[@]}"; do
  IFS='|' read -r name flags s l <<<"$row"
  for spec in "$s" "$l"; do
    IFS=':' read -r model paper_ds paper_ft <<<"$spec"
    stem="$out/$(echo "$model $name" | tr -c 'a-zA-Z0-9\n' '_' | tr -s '_' | sed 's/_$//')"
    # shellcheck disable=SC2086
    "$warden" lazarus simulate --model="$model" $flags --seeds=10 --out="$stem" "$@" 2>/dev/null |
      awk -v name="$name" -v model="${model^^}" -v pds="$paper_ds" -v pft="$paper_ft" '
        /^Lazarus/ { l = $2; lci = $4 }
        /^DS /     { d = $2; dci = $4; dov = $7 + $8 + $11 }
        /^DS\(FT\)/ { f = $2; fci = $4; fr = $11; frd = $7 }
        END {
          printf "| %s | %s | %d ± %d | %d ± %d | %d ± %d | %.2f× / %.2f× | %s / %s | %.0f%% | %.0f%% (+ %.0f%%) |\n",
                 name, model, l, lci, d, dci, f, fci, l / d, l / f, pds "×", pft "×", dov, fr, frd
        }' | sed 's/–×/–/g'
  done
done
