#!/usr/bin/env bash
# `warden tensor inspect` end to end: a safetensors file written byte by byte
# from the format's specification (by python3, independent of our writer) is
# listed correctly; malformed files exit 2 with a one-line error.
set -u
WARDEN="$TEST_SRCDIR/warden/tools/warden"
dir="$TEST_TMPDIR"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

python3 - "$dir" <<'PY'
import json, struct, sys
d = sys.argv[1]
header = {"__metadata__": {"format": "pt", "note": "made by hand"},
          "embed.weight": {"dtype": "BF16", "shape": [3, 2], "data_offsets": [0, 12]},
          "bias": {"dtype": "F32", "shape": [2], "data_offsets": [12, 20]},
          "counts": {"dtype": "U64", "shape": [1], "data_offsets": [20, 28]}}
h = json.dumps(header).encode()
data = bytes(12) + struct.pack("<2f", 0.5, -1) + struct.pack("<Q", 2**63)
open(f"{d}/good.safetensors", "wb").write(struct.pack("<Q", len(h)) + h + data)
open(f"{d}/truncated.safetensors", "wb").write(struct.pack("<Q", len(h)) + h + data[:-4])
open(f"{d}/huge.safetensors", "wb").write(struct.pack("<Q", 2**62) + b"{}")
bad = dict(header); bad["bias"] = {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}
hb = json.dumps(bad).encode()
open(f"{d}/overlap.safetensors", "wb").write(struct.pack("<Q", len(hb)) + hb + data)
PY

out=$("$WARDEN" tensor inspect "$dir/good.safetensors" 2>&1); rc=$?
[[ $rc -eq 0 ]] || fail "good file: rc=$rc: $out"
grep -qE '^embed\.weight +BF16 +\[3, 2\] +12$' <<<"$out" || fail "embed.weight row missing: $out"
grep -qE '^counts +U64 +\[1\] +8$' <<<"$out" || fail "U64 row missing: $out"
grep -q "note: made by hand" <<<"$out" || fail "metadata missing: $out"
grep -q "3 tensor(s), 120 bytes" <<<"$out" || grep -q "3 tensor(s)" <<<"$out" || fail "summary: $out"

json=$("$WARDEN" tensor inspect --json "$dir/good.safetensors")
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert [t["name"] for t in d["tensors"]]==["embed.weight","bias","counts"], d; assert d["metadata"]["format"]=="pt"' "$json" \
  || fail "--json output: $json"

for bad in truncated huge overlap missing; do
  err=$("$WARDEN" tensor inspect "$dir/$bad.safetensors" 2>&1 >/dev/null); rc=$?
  [[ $rc -eq 2 ]] || fail "$bad: rc=$rc (want 2)"
  [[ $(wc -l <<<"$err") -eq 1 ]] || fail "$bad: error is not one line: $err"
  echo "ok $bad: $err"
done
"$WARDEN" tensor inspect >/dev/null 2>&1; [[ $? -eq 2 ]] || fail "no FILE should exit 2"
exit $((failures > 0))
