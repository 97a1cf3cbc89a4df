#!/usr/bin/env bash
# Test driver: exports the demo's bundle from the default models with the real
# CLI, then runs a Node test on it.
#   with_bundle.sh WARDEN TEST.mjs [ARGS...]   (TEST.mjs gets ARGS... BUNDLE)
#   with_bundle.sh --serve WARDEN TEST.mjs [ARGS...]   (TEST.mjs gets ARGS... BUNDLE URL,
#     with `warden web serve` serving the bundle at URL)
set -euo pipefail
serve=0
if [[ "$1" == "--serve" ]]; then serve=1; shift; fi
warden="$1" script="$2"; shift 2
bundle="${TEST_TMPDIR:-$(mktemp -d)}/bundle"
"$warden" web export --out="$bundle" --full_encoder --digits=16 >"$bundle.log" 2>&1 || { cat "$bundle.log"; exit 1; }
if [[ $serve == 0 ]]; then
  exec node "$script" "$@" "$bundle"
fi
log="${TEST_TMPDIR:-/tmp}/serve.log"
"$warden" web serve --port=0 --bundle="$bundle" >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
url=""
for _ in $(seq 1 100); do
  url=$(grep -o 'http://[^ ]*/' "$log" || true)
  [[ -n "$url" ]] && break
  kill -0 $server 2>/dev/null || { cat "$log"; echo "the server exited"; exit 1; }
  sleep 0.1
done
[[ -n "$url" ]] || { cat "$log"; echo "the server did not start"; exit 1; }
node "$script" "$@" "$bundle" "$url"
