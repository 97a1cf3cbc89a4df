#!/usr/bin/env bash
# The certified-radius-guided attack evaluation (issue 15, docs/specs/cr_attack.md
# §5): trains the four segmenters (U-Net and FCN on MNIST and Fashion-MNIST
# scenes, 20 epochs) and a noise-trained U-Net unless MODELS already holds
# them, then runs `warden seg attack`:
#   white-box  PGD and CR-PGD, L-inf eps {2,4,8,16}/255 on all four models,
#              L2 eps {0.25,0.5,1,2} on the MNIST models, 64 test scenes;
#              plus the released code's unclipped L-inf step on the U-Net;
#   black-box  PBGD, CR-PBGD, one-point BGD and random noise at L-inf 8/255 on
#              the MNIST U-Net, budgets {100,300,1000}, 16 scenes, 5 seeds;
#   certify    SegCertify (Holm, Bonferroni) with the sigma-0.25 U-Net.
# Tables go to OUT/*.txt, per-run TSVs/plots beside them. About 45 minutes on
# 2 cores.
#
#   tools/experiments/seg_attacks.sh [MODELS_DIR] [OUT_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MODELS="${1:-$ROOT/docs/results/seg_models}"
OUT="${2:-$ROOT/docs/results/seg_attacks}"
mkdir -p "$MODELS" "$OUT"
cd "$ROOT"
bazel build //tools:warden >/dev/null
WARDEN="$ROOT/bazel-bin/tools/warden"

train() {  # train NAME ARGS...
  local name=$1; shift
  [[ -f "$MODELS/$name.safetensors" ]] && return
  "$WARDEN" seg train --epochs=20 "$@" --out="$MODELS/$name.safetensors" > "$MODELS/$name.log" 2>/dev/null
}
train unet_mnist --dataset=mnist --architecture=unet
train fcn_mnist --dataset=mnist --architecture=fcn
train unet_fashion-mnist --dataset=fashion-mnist --architecture=unet
train fcn_fashion-mnist --dataset=fashion-mnist --architecture=fcn
train unet_mnist_noise025 --dataset=mnist --architecture=unet --noise=0.25

attack() {  # attack NAME ARGS...
  local name=$1; shift
  "$WARDEN" seg attack --count=64 "$@" --out="$OUT/$name.tsv" > "$OUT/$name.txt" 2>/dev/null
  echo "$name: $(grep -c . "$OUT/$name.txt") lines"
}
for model in unet_mnist fcn_mnist unet_fashion-mnist fcn_fashion-mnist; do
  attack "${model}_linf" --model="$MODELS/$model.safetensors" --norm=linf --epsilons=2/255,4/255,8/255,16/255
done
for model in unet_mnist fcn_mnist; do
  attack "${model}_l2" --model="$MODELS/$model.safetensors" --norm=l2 --epsilons=0.25,0.5,1,2
done
attack unet_mnist_released --model="$MODELS/unet_mnist.safetensors" --norm=linf --epsilons=2/255,4/255,8/255,16/255 \
  --attacks=pgd-released,cr-pgd-released
attack unet_mnist_blackbox --model="$MODELS/unet_mnist.safetensors" --norm=linf --epsilons=8/255 \
  --attacks=noise,bgd1,pbgd,cr-pbgd --budgets=100,300,1000 --seeds=5 --count=16 --bb_count=16
"$WARDEN" seg certify --model="$MODELS/unet_mnist_noise025.safetensors" --count=16 --n=200 --sigma=0.25 \
  --png="$OUT/certify_unet_mnist_sigma025.png" > "$OUT/certify_unet_mnist_sigma025.txt" 2>/dev/null
echo "certify: $(cat "$OUT/certify_unet_mnist_sigma025.txt")"
