#!/usr/bin/env bash
# The REaaS paper's comparison at our scale (docs/specs/reaas.md §5–§7):
# encoders pre-trained on Fashion-MNIST with and without the spectral-norm
# regulariser, each served over TLS on loopback, and MNIST heads certified
# through them — SEaaS (input-space smoothing through the Feature-API) against
# REaaS (BC linear, BC MLP, feature-space smoothing; 2 queries per input).
# Prints one TSV row per (encoder, mode): certified accuracy at input radii,
# queries, bytes and seconds per input, as `warden reaas certify` reports them.
#
#   tools/experiments/reaas_compare.sh [OUT_DIR]   (WARDEN=path overrides the binary)
#   env: TESTS (50), TRAIN (2000), LIMIT (20000), EPOCHS (3), LAMBDAS ("0 0.05"),
#        N0 (100), N (1000), F2I (one or more of lipschitz, intervals, linear:
#        `certify --f2i`; each gives its own REaaS rows, "linear" by default),
#        PRETRAIN (supervised or contrastive: `train --mode`)
set -euo pipefail
out="${1:-/tmp/reaas_compare}"
mkdir -p "$out"
warden="${WARDEN:-bazel-bin/tools/warden}"
tests="${TESTS:-50}" train="${TRAIN:-2000}" limit="${LIMIT:-20000}" epochs="${EPOCHS:-3}"
n0="${N0:-100}" n="${N:-1000}" pretrain="${PRETRAIN:-supervised}"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$out/srv.key" -out "$out/srv.pem" >/dev/null 2>&1
echo "bench 1000000 1000000" > "$out/keys.txt"
printf "encoder\tlambda\tmode\tCA(0)\tCA(0.01)\tCA(0.02)\tCA(0.05)\tCA(0.1)\tCA(0.25)\tCA(0.5)\tCA(1)\tmean radius\tqueries/input\tbytes/input\ts/input\n"
for lambda in ${LAMBDAS:-0 0.05}; do
  enc="$out/enc_${pretrain}_lambda$lambda.safetensors"
  [[ -s "$enc" ]] || "$warden" reaas train --dataset=fashion-mnist --limit="$limit" --epochs="$epochs" \
    --mode="$pretrain" --lambda="$lambda" --out="$enc" >"$out/train_${pretrain}_$lambda.txt" 2>/dev/null
  "$warden" reaas serve --encoder="$enc" --port=0 --keys="$out/keys.txt" --tls_cert="$out/srv.pem" \
    --tls_key="$out/srv.key" >"$out/serve_${pretrain}_$lambda.log" 2>&1 &
  server=$!
  port=""
  while [[ -z "$port" ]]; do
    sleep 0.5
    port=$(grep -o "127.0.0.1:[0-9]*" "$out/serve_${pretrain}_$lambda.log" | head -1 | cut -d: -f2 || true)
  done
  common=(--server="localhost:$port" --root_cert="$out/srv.pem" --api_key=bench --train="$train" --tests="$tests")
  modes=("seaas --sigma=0.25")
  for f2i in ${F2I:-linear}; do
    modes+=("base --head=linear --f2i=$f2i" "base --head=mlp --f2i=$f2i" "smoothed --sigma=0.5 --f2i=$f2i")
  done
  for mode in "${modes[@]}"; do
    # shellcheck disable=SC2086
    name="${pretrain}_lambda${lambda}_$(tr -d ' -' <<<"$mode" | tr '=' '_')"
    report=$("$warden" reaas certify "${common[@]}" --mode=$mode --n0="$n0" --n="$n" --out="$out/$name.tsv" \
      2>/dev/null)
    ca=$(awk -F'\t' '/^[0-9.]+\t[0-9.]+$/ {printf "\t%s", $2}' <<<"$report")
    mean=$(sed -n 's/^mean certified radius .*: \([0-9.]*\)$/\1/p' <<<"$report")
    cost=$(sed -n 's/^per input: \([0-9.]*\) queries, \([0-9]*\) bytes sent, \([0-9.]*\) s$/\1\t\2\t\3/p' <<<"$report")
    printf "%s\t%s\t%s%s\t%s\t%s\n" "$pretrain" "$lambda" "$mode" "$ca" "$mean" "$cost"
  done
  kill -TERM "$server"
  wait "$server" || true
done
# One figure per encoder: certified accuracy against input radius for every mode.
for lambda in ${LAMBDAS:-0 0.05}; do
  "$warden" smooth plot "$out/${pretrain}_lambda${lambda}"_*.tsv \
    --title="REaaS vs SEaaS, $pretrain encoder, lambda $lambda" --log_radius=1e-4 \
    --out="$out/curves_${pretrain}_lambda$lambda.svg" >/dev/null
done
