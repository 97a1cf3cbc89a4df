#!/usr/bin/env bash
# `warden itd` end to end with the committed encoder, SAE and registry:
# classify (text and --json), embed (unflagged prompts bit-identical to
# `warden clip encode`), select a custom concept appended to the registry at
# run time, interpret, and clear errors (exit 2) for bad inputs.
set -u
WARDEN="$TEST_SRCDIR/warden/tools/warden"
REGISTRY="$TEST_SRCDIR/warden/components/itd/models/concepts.json"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

target=$(python3 -c "import json,sys; print(sorted(json.load(open(sys.argv[1]))['concepts'])[0].split(':',1)[1])" "$REGISTRY")
neutral="a bowl of oranges on a wooden table"

json=$("$WARDEN" itd classify --json "$target giving a speech" "$neutral") || fail "classify --json"
python3 - "$json" <<'PY' || fail "classify --json output: $json"
import json, sys
lines = [json.loads(l) for l in sys.argv[1].strip().split("\n")]
assert len(lines) == 2, lines
for l in lines:
    for key in ("flagged", "score", "tau", "concepts", "features", "prompt"):
        assert key in l, (key, l)
assert lines[0]["flagged"] and lines[0]["concepts"], lines[0]
assert not lines[1]["flagged"], lines[1]
assert lines[0]["score"] >= lines[0]["tau"] > lines[1]["score"]
PY

text=$("$WARDEN" itd classify "$target giving a speech") || fail "classify"
[[ "$text" == FLAGGED* ]] || fail "classify text: $text"

# embed: [2, 77, 256]; the unflagged row equals the plain encoder's output.
"$WARDEN" itd embed --out="$TEST_TMPDIR/e.safetensors" "$target on the red carpet" "$neutral" >/dev/null || fail "embed"
# The plain encoder on the same batch (BLAS results may differ across batch sizes).
"$WARDEN" clip encode --out="$TEST_TMPDIR/c.safetensors" "$target on the red carpet" "$neutral" >/dev/null || fail "clip encode"
python3 - "$TEST_TMPDIR/e.safetensors" "$TEST_TMPDIR/c.safetensors" <<'PY' || fail "embed output"
import json, struct, sys
def read(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    return header, raw[8 + n:]
eh, ed = read(sys.argv[1]); ch, cd = read(sys.argv[2])
pe = eh["prompt_embeds"]
assert pe["shape"] == [2, 77, 256] and pe["dtype"] == "F32", pe
assert json.loads(eh["__metadata__"]["warden.itd.flagged"]) == [True, False], eh["__metadata__"]
row = 77 * 256 * 4
b, e = pe["data_offsets"]
lh = ch["last_hidden_state"]
assert lh["shape"] == [2, 77, 256], lh
c0 = lh["data_offsets"][0]
assert ed[b + row:b + 2 * row] == cd[c0 + row:c0 + 2 * row], "unflagged row differs"
assert ed[b:b + row] != cd[c0:c0 + row], "flagged row unchanged"
assert ed[b:b + row] != ed[b + row:b + 2 * row]
PY

# A custom concept added to the running registry without retraining.
printf 'a photo of a red lighthouse\na red lighthouse on a cliff\na painting of a red lighthouse\n' > "$TEST_TMPDIR/t.txt"
out=$("$WARDEN" itd select --name=lighthouse --targets_file="$TEST_TMPDIR/t.txt" --append_to="$REGISTRY" \
      --out="$TEST_TMPDIR/r.json" 2>&1) || fail "select: $out"
json=$("$WARDEN" itd classify --json --registry="$TEST_TMPDIR/r.json" "a red lighthouse on a cliff") || fail "classify custom"
python3 -c "import json,sys; l=json.loads(sys.argv[1]); assert l['flagged'] and 'lighthouse' in l['concepts'], l" "$json" \
  || fail "custom concept not flagged: $json"

out=$("$WARDEN" itd interpret --max_features=2 --top=3 --corpus=500 2>&1) || fail "interpret: $out"
[[ $(grep -c '^feature ' <<<"$out") == 2 ]] || fail "interpret output: $out"

# Bad inputs: exit 2 with one line.
echo '{"layer": 2, "concepts": 5}' > "$TEST_TMPDIR/bad.json"
"$WARDEN" itd classify --registry="$TEST_TMPDIR/bad.json" "x" >/dev/null 2>&1; [[ $? == 2 ]] || fail "bad registry not exit 2"
"$WARDEN" itd classify --sae="$TEST_TMPDIR/bad.json" "x" >/dev/null 2>&1; [[ $? == 2 ]] || fail "bad SAE not exit 2"
"$WARDEN" itd classify >/dev/null 2>&1; [[ $? == 2 ]] || fail "no prompt not exit 2"
"$WARDEN" itd eval --families=dogs >/dev/null 2>&1; [[ $? == 2 ]] || fail "bad family not exit 2"

echo "$failures failures"
[[ $failures == 0 ]]
