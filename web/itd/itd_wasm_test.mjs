// The browser build of CLIP's tokenizer gives the native ids on every reference
// prompt (components/clip/testdata/tokenizer_reference.jsonl, the same cases as
// components/clip:tokenizer_test), pads for the gate as the native
// TokenizeBatch(kToContext), and the gate reports bad input instead of crashing.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import { clipMerges } from '../build_defs/data_dir.mjs';

delete globalThis.fetch;  // emscripten 3.1.6 + Node 20 (docs/toolchain.md)
const require = createRequire(import.meta.url);
const wasm = await require(path.resolve(process.argv[2]))();

const tokenizer = new wasm.Tokenizer(clipMerges());
assert.equal(tokenizer.error(), '');
const lines = fs.readFileSync(process.argv[3], 'utf8').split('\n').filter((l) => l.length > 0);
let mismatches = 0;
for (const line of lines) {
  const { text, ids } = JSON.parse(line);
  const got = tokenizer.encode(text);
  if (JSON.stringify(got) !== JSON.stringify(ids)) {
    if (++mismatches <= 5) console.error(`mismatch on ${JSON.stringify(text)}: ${got} vs ${ids}`);
  }
}
assert.equal(mismatches, 0, `${mismatches} of ${lines.length} prompts tokenize differently`);
assert.ok(lines.length > 1000);

// BOS + "a photo of" + EOS, then EOS padding to 77.
const padded = tokenizer.encodeForGate('a photo of');
assert.deepEqual(padded.ids.slice(0, 5), [49406, 320, 1125, 539, 49407]);
assert.equal(padded.ids.length, 77);
assert.equal(padded.eosPosition, 4);
assert.ok(padded.ids.slice(4).every((id) => id === 49407));
// Long prompts are cut to 77 with EOS last.
const long = tokenizer.encodeForGate('word '.repeat(200));
assert.equal(long.ids.length, 77);
assert.equal(long.eosPosition, 76);
assert.equal(tokenizer.tokenText(320), 'a</w>');

// Malformed merges and mis-sized weights are reported, not crashes.
const broken = new wasm.Tokenizer('not a merges file');
assert.notEqual(broken.error(), '');
assert.equal(broken.encode('a photo'), null);
const badGate = new wasm.Gate(2, 3, new Float32Array(5), 1, [0], -8, 0, 'concept');
assert.match(badGate.error(), /SAE weights have 5 floats/);
assert.match(badGate.score(new Float32Array(4), 2).error, /SAE weights/);
const gate = new wasm.Gate(2, 2, new Float32Array([1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0]), 1, [1], -1, 2, 'concept');
assert.equal(gate.error(), '');
assert.match(gate.score(new Float32Array(3), 2).error, /not tokens × d_model/);
// The hand-computed case of components/itd:gate_core_test.
const r = gate.score(new Float32Array([5, 0, 0, 2]), 2);
assert.equal(r.score, 4);
assert.equal(r.flagged, true);
assert.deepEqual(r.fired.map((f) => f.feature), [1]);
assert.match(new wasm.Gate(2, 2, new Float32Array(12), 1, [], 1, 0, 'median').error(), /unknown score mode/);
console.log(`itd wasm: ${lines.length} prompts tokenize as native; gate ok`);
