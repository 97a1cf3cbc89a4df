#!/usr/bin/env bash
# `warden reaas` end to end on loopback with real TLS: pre-train a small
# regularised encoder on Fashion-MNIST, serve it (a self-signed pair made with
# openssl), certify MNIST heads through it in REaaS mode (2 queries per input)
# and SEaaS mode (n0 + n), see an unknown key refused while the server keeps
# serving, and stop it with SIGTERM: it drains and prints its metrics. Bad
# flags exit 2 with one line.
set -u
source "$TEST_SRCDIR/warden/tests/cli_lib.sh"

out=$("$WARDEN" reaas train --dataset=fashion-mnist --limit=1000 --epochs=1 --lambda=0.05 --width=4 \
  --features=16 --out="$dir/enc.safetensors" 2>/dev/null) || fail "train: $out"
grep -q "^global Lipschitz bound of the folded encoder: .* = [0-9.e+]*$" <<<"$out" || fail "no bound: $out"

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$dir/srv.key" -out "$dir/srv.pem" \
  >/dev/null 2>&1 || fail "openssl"
printf '# name rate burst quota\nalice 1000 1000\n' > "$dir/keys.txt"
"$WARDEN" reaas serve --encoder="$dir/enc.safetensors" --port=0 --keys="$dir/keys.txt" \
  --tls_cert="$dir/srv.pem" --tls_key="$dir/srv.key" >"$dir/serve.log" 2>&1 &
server=$!
port=""
for _ in $(seq 1 120); do
  port=$(grep -o "127.0.0.1:[0-9]*" "$dir/serve.log" | head -1 | cut -d: -f2)
  [[ -n "$port" ]] && break
  sleep 0.5
done
[[ -n "$port" ]] || fail "the server did not start: $(cat "$dir/serve.log")"

client=(--server="localhost:$port" --root_cert="$dir/srv.pem" --api_key=alice --train=300)
bc=$("$WARDEN" reaas certify "${client[@]}" --tests=4 --f2i=lipschitz --out="$dir/bc.tsv" 2>/dev/null) ||
  fail "certify base: $bc"
grep -q "^per input: 2.0 queries" <<<"$bc" || fail "REaaS is not 2 queries per input: $bc"
grep -q "^0	0\.[0-9]*$" <<<"$bc" || fail "no certified accuracy at 0: $bc"
[[ $(wc -l < "$dir/bc.tsv") -eq 5 ]] || fail "per-input TSV"
plot=$("$WARDEN" smooth plot "$dir/bc.tsv" --log_radius=1e-4 --out="$dir/bc.svg" 2>&1) ||
  fail "smooth plot cannot read it: $plot"
grep -q "<polyline" "$dir/bc.svg" || fail "the plot draws nothing"
grep -q ">0.001<" "$dir/bc.svg" || fail "no decade ticks on the log radius axis"
se=$("$WARDEN" reaas certify "${client[@]}" --tests=2 --mode=seaas --n0=10 --n=40 2>/dev/null) ||
  fail "certify seaas: $se"
grep -q "^per input: 50.0 queries" <<<"$se" || fail "SEaaS is not n0 + n queries: $se"
bad=$("$WARDEN" reaas certify --server="localhost:$port" --root_cert="$dir/srv.pem" --api_key=mallory \
  --tests=1 2>&1); rc=$?
[[ $rc -ne 0 ]] && grep -q "unknown API key" <<<"$bad" || fail "an unknown key was not refused: rc=$rc $bad"
again=$("$WARDEN" reaas certify "${client[@]}" --tests=2 --f2i=linear --out="$dir/lin.tsv" 2>/dev/null) ||
  fail "server down after a bad key: $again"
grep -q "^per input: 2.0 queries" <<<"$again" || fail "REaaS with CROWN bounds is not 2 queries per input: $again"
# The same two inputs: CROWN's radius is never below the Lipschitz one.
paste <(sed -n '2,3p' "$dir/bc.tsv" | cut -f4) <(sed -n '2,3p' "$dir/lin.tsv" | cut -f4) |
  awk -F'\t' '$2 < $1 { exit 1 }' || fail "linear radius below Lipschitz: $(cat "$dir/bc.tsv" "$dir/lin.tsv")"

kill -TERM "$server"
wait "$server"; rc=$?
[[ $rc -eq 0 ]] || fail "serve exit $rc after SIGTERM"
grep -q "^draining" "$dir/serve.log" || fail "no drain: $(cat "$dir/serve.log")"
grep -q "^F2IPerturb	[0-9]*	0	" "$dir/serve.log" || fail "no F2IPerturb metrics: $(cat "$dir/serve.log")"
grep -q "^stopped$" "$dir/serve.log" || fail "not stopped"

bounds=$("$WARDEN" reaas bounds --encoder="$dir/enc.safetensors" --tests=2 --out="$dir/bounds.tsv" 2>/dev/null) ||
  fail "bounds: $bounds"
grep -q "^median PGD upper bound over the linear-relaxation radius: [0-9.]*x" <<<"$bounds" || fail "bounds: $bounds"
# Per image: Lipschitz <= intervals <= linear (to the search's 1e-3) <= PGD.
awk -F'\t' 'NR > 1 && !($3 <= $4 && $4 <= $5 * 1.001 && $5 <= $6) { exit 1 }' "$dir/bounds.tsv" ||
  fail "radii out of order: $(cat "$dir/bounds.tsv")"

expect_error() { expect_usage_error "$1" "$2" reaas "${@:3}"; }  # NAME PATTERN ARGS...
expect_error "bad mode" "--mode must be supervised or contrastive" train --mode=magic --out="$dir/x"
expect_error "no out" "--out is required" train
expect_error "no keys" "--encoder and --keys are required" serve --encoder="$dir/enc.safetensors"
echo "k nope" > "$dir/badkeys.txt"
expect_error "bad keys" "keys line 1" serve --encoder="$dir/enc.safetensors" --keys="$dir/badkeys.txt"
expect_error "plaintext" "plaintext must be allowed" serve --encoder="$dir/enc.safetensors" --keys="$dir/keys.txt"
expect_error "bad head" "--head must be linear or mlp" certify --server=localhost:1 --head=tree
expect_error "bad f2i" "--f2i: the F2IPerturb method must be" certify --server=localhost:1 --f2i=crown
expect_error "bounds needs an encoder" "--encoder is required" bounds
expect_error "bad data" "--dataset must be mnist or fashion-mnist" certify --server=localhost:1 --dataset=cifar
finish
