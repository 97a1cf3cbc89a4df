#!/usr/bin/env bash
# The certified-radius-guided attack evaluation (issue 15, docs/specs/cr_attack.md
# §5): trains the four segmenters (U-Net and FCN on MNIST and Fashion-MNIST
# scenes, 20 epochs) and a noise-trained U-Net unless MODELS already holds
# them, then runs `warden seg attack`:
#   white-box  PGD and CR-PGD, L-inf eps {2,4,8,16}/255 on all four models
#              (64 test scenes on the MNIST U-Net, 32 on the others), L2 eps
#              {0.25,0.5,1,2} on the MNIST U-Net (32), and the released code's
#              unclipped L-inf step on the MNIST U-Net (32);
#   black-box  random noise, one-point BGD, PBGD and CR-PBGD at L-inf 8/255 on
#              the MNIST U-Net, budgets {100,300,1000}, 8 scenes, 5 seeds;
#   certify    SegCertify (Holm, Bonferroni) with the sigma-0.25 U-Net.
# Tables go to OUT/*.txt, per-run TSVs/plots beside them; a table already
# there is kept. About 25 minutes on 2 idle cores once the models exist.
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

attack() {  # attack NAME ARGS... (skipped when its table exists)
  local name=$1; shift
  [[ -s "$OUT/$name.txt" ]] && return
  "$WARDEN" seg attack "$@" --out="$OUT/$name.tsv" > "$OUT/$name.txt.tmp" 2>/dev/null
  mv "$OUT/$name.txt.tmp" "$OUT/$name.txt"
  echo "$name: done"
}
LINF=(--norm=linf --epsilons=2/255,4/255,8/255,16/255)
attack unet_mnist_linf --model="$MODELS/unet_mnist.safetensors" --count=64 "${LINF[@]}"
for model in fcn_mnist unet_fashion-mnist fcn_fashion-mnist; do
  attack "${model}_linf" --model="$MODELS/$model.safetensors" --count=32 "${LINF[@]}"
done
attack unet_mnist_l2 --model="$MODELS/unet_mnist.safetensors" --count=32 --norm=l2 --epsilons=0.25,0.5,1,2
attack unet_mnist_released --model="$MODELS/unet_mnist.safetensors" --count=32 "${LINF[@]}" \
  --attacks=pgd-released,cr-pgd-released
attack unet_mnist_blackbox --model="$MODELS/unet_mnist.safetensors" --norm=linf --epsilons=8/255 \
  --attacks=noise,bgd1,pbgd,cr-pbgd --budgets=100,300,1000 --seeds=5 --count=8 --bb_count=8
"$WARDEN" seg certify --model="$MODELS/unet_mnist_noise025.safetensors" --count=16 --n=200 --sigma=0.25 \
  --png="$OUT/certify_unet_mnist_sigma025.png" > "$OUT/certify_unet_mnist_sigma025.txt" 2>/dev/null
echo "certify: done"
