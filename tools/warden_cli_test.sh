#!/usr/bin/env bash
# End-to-end checks of the `warden` binary: help at every level, exit codes,
# one-line errors, and the demo on the installed data.
set -u
WARDEN="$TEST_SRCDIR/warden/tools/warden"
failures=0
check() {  # check NAME EXPECTED_RC PATTERN -- ARGS...
  local name="$1" want_rc="$2" pattern="$3"; shift 4
  local out rc
  out=$("$WARDEN" "$@" 2>&1); rc=$?
  if [[ $rc -ne $want_rc ]] || ! grep -qE -- "$pattern" <<<"$out"; then
    echo "FAIL $name: rc=$rc (want $want_rc), output:"; echo "$out" | head -20
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}
check top-help        0 "groups:"               -- --help
check no-args         2 "usage: warden"         --
check unknown-command 2 'unknown command "frob"' -- frob
check group-help      0 "list"                  -- data --help
check verb-help       0 "--data_dir"            -- data check --help
check unknown-verb    2 'unknown verb "nope"'   -- data nope
check unknown-flag    2 "unknown flag --bogus"  -- data list --bogus
check unknown-dataset 2 'unknown data set "cifar10"' -- data check cifar10
check missing-data    2 "run tools/setup"       -- data check mnist --data_dir=/nonexistent
check info            0 "LibTorch"              -- info
check data-list       0 "mnist"                 -- data list
check demo            0 "checkpoint round trip: bit-identical" -- demo
check demo-only       2 "no demo step matches"  -- demo --only=zzz
check demo-itd        0 "FLAGGED .* giving a speech"  -- demo --only=itd
check demo-lazarus    0 '"recoveries":1'        -- demo --only="lazarus recovery"
check demo-web        0 "serve the page with" -- demo --only="browser demo"
check demo-seg        0 "^cr-pgd	0\.[0-9]*	" -- demo --only="certified-radius"
check web-export-out  2 "--out is required" -- web export
check web-serve-bad   2 "gate.json is missing" -- web serve --bundle=/nonexistent --port=0
check smooth-radius   0 "^class 1 radius 1.14499997760688" -- smooth radius --selection=1,97,2 --estimation=600,99000,400 --sigma=0.5
check smooth-radius-bad 2 "not a count" -- smooth radius --selection=1,x --estimation=1,2
check seg-scenes      0 "^picture: .*scenes.png" -- seg scenes --count=20 --show=4 --png="$TEST_TMPDIR/scenes.png"
[[ $(head -c 8 "$TEST_TMPDIR/scenes.png" | od -An -c | tr -d ' ') == '211PNG\r\n032\n' ]] || { echo "FAIL seg-scenes: not a PNG"; failures=$((failures + 1)); }
check seg-bad-split   2 "--split must be train or test" -- seg scenes --split=val --png="$TEST_TMPDIR/never.png"
check seg-bad-size    2 "size >= the glyph side"  -- seg scenes --size=20 --png="$TEST_TMPDIR/never.png"
[[ ! -e "$TEST_TMPDIR/never.png" ]] || { echo "FAIL seg: a failed run wrote its picture"; failures=$((failures + 1)); }
check clip-tokenize   0 "^49406 320 1125 539 49407$" -- clip tokenize "a photo of"
check clip-json       0 "\"tokens\":\\[\"<\\|startoftext"  -- clip tokenize --json hello
check clip-no-text    2 "expected at least one TEXT" -- clip tokenize
check sae-train       0 "final FVU"             -- sae train --steps=3 --latents=256 --k=8 --batch=8 --out="$TEST_TMPDIR/sae.safetensors"
# Two data-parallel ranks launched by the verb itself (re-executing this command line).
check sae-train-dp    0 "on 2 data-parallel ranks: final FVU" -- sae train --steps=3 --latents=256 --k=8 --batch=8 --nproc=2 --out="$TEST_TMPDIR/sae_dp.safetensors"
WORLD_SIZE=2 RANK=0 MASTER_ADDR=127.0.0.1 \
check sae-bad-world   2 "MASTER_PORT is not"     -- sae train --steps=1 --out="$TEST_TMPDIR/x.safetensors"
check sae-bad-nproc   2 "--nproc must be >= 1"   -- sae train --nproc=0 --out="$TEST_TMPDIR/x.safetensors"
check sae-bad-k       2 "need 1 <= --k"          -- sae train --k=0 --out="$TEST_TMPDIR/x.safetensors"
check sae-bad-layer   2 "layer 9 outside"        -- sae train --layer=9 --steps=1 --out="$TEST_TMPDIR/x.safetensors"
exit $((failures > 0))
