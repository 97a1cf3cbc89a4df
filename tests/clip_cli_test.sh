#!/usr/bin/env bash
# `warden clip encode` end to end on a tiny CLIPTextModel written in Hugging
# Face's layout by python3 (independent of our writer), read back through
# `warden tensor inspect --json`; bad weights exit 2 with one line.
set -u
source "$TEST_SRCDIR/warden/tests/cli_lib.sh"
dir="$TEST_TMPDIR/text_encoder"

python3 - "$dir" <<'PY'
import json, os, random, struct, sys
d = sys.argv[1]
os.makedirs(d, exist_ok=True)
cfg = {"architectures": ["CLIPTextModel"], "vocab_size": 49408, "hidden_size": 8,
       "intermediate_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2,
       "max_position_embeddings": 77, "hidden_act": "quick_gelu", "layer_norm_eps": 1e-5}
json.dump(cfg, open(f"{d}/config.json", "w"))
shapes = {"text_model.embeddings.token_embedding.weight": [49408, 8],
          "text_model.embeddings.position_embedding.weight": [77, 8],
          "text_model.embeddings.position_ids": [1, 77],
          "text_model.final_layer_norm.weight": [8], "text_model.final_layer_norm.bias": [8]}
for i in range(2):
    p = f"text_model.encoder.layers.{i}."
    for n in ("q_proj", "k_proj", "v_proj", "out_proj"):
        shapes[p + f"self_attn.{n}.weight"] = [8, 8]
        shapes[p + f"self_attn.{n}.bias"] = [8]
    for n in ("layer_norm1", "layer_norm2"):
        shapes[p + f"{n}.weight"] = [8]
        shapes[p + f"{n}.bias"] = [8]
    shapes[p + "mlp.fc1.weight"] = [16, 8]; shapes[p + "mlp.fc1.bias"] = [16]
    shapes[p + "mlp.fc2.weight"] = [8, 16]; shapes[p + "mlp.fc2.bias"] = [8]
rng = random.Random(0)
header, data = {}, bytearray()
for name, shape in shapes.items():
    n = 1
    for s in shape: n *= s
    if name.endswith("position_ids"):
        raw = struct.pack(f"<{n}q", *range(n)); dtype = "I64"
    else:
        raw = struct.pack(f"<{n}e", *[rng.gauss(0, 0.02) for _ in range(n)]); dtype = "F16"
    header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
    data += raw
h = json.dumps(header).encode()
open(f"{d}/model.safetensors", "wb").write(struct.pack("<Q", len(h)) + h + data)
PY

out=$("$WARDEN" clip encode --clip_weights="$dir" --all_layers --out="$TEST_TMPDIR/h.safetensors" \
      "a photo of an astronaut" "hello" 2>&1) || fail "encode: $out"
json=$("$WARDEN" tensor inspect --json "$TEST_TMPDIR/h.safetensors")
python3 - "$json" <<'PY' || fail "encode output: $json"
import json, sys
d = {t["name"]: t for t in json.loads(sys.argv[1])["tensors"]}
assert d["last_hidden_state"]["shape"] == [2, 77, 8], d["last_hidden_state"]
assert d["pooled"]["shape"] == [2, 8]
assert d["input_ids"]["dtype"] == "I64"
assert "hidden_states.2" in d and "hidden_states.3" not in d
PY
"$WARDEN" clip encode --clip_weights="$dir" --pad_to_longest --out="$TEST_TMPDIR/p.safetensors" \
  "a photo of" "hello" >/dev/null 2>&1 || fail "pad_to_longest"
"$WARDEN" tensor inspect --json "$TEST_TMPDIR/p.safetensors" | grep -q '"shape":\[2,5,8\]' || fail "longest padding shape"

expect_error() { expect_usage_error "$*" "$1" clip encode "${@:2}"; }  # PATTERN ARGS...
# Without --clip_weights: the committed default encoder, found through runfiles.
"$WARDEN" clip encode --out="$TEST_TMPDIR/d.safetensors" "a photo of" >/dev/null 2>&1 || fail "default encoder"
"$WARDEN" tensor inspect --json "$TEST_TMPDIR/d.safetensors" | grep -q '"name":"pooled","shape":\[1,256\]' \
  || fail "default encoder output"
expect_error "config.json: cannot open" --clip_weights=/nonexistent hello
python3 -c "import json; d=json.load(open('$dir/config.json')); d['hidden_size']=16; json.dump(d, open('$dir/config.json','w'))"
expect_error "expected \[49408, 16\]" --clip_weights="$dir" hello
finish
