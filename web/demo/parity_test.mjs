// The browser path equals the native one: the ONNX models `warden web export`
// wrote, run by onnxruntime-web (its wasm build, the page's runtime) in Node,
// against the LibTorch outputs in the bundle's parity.json; and the tokenizer
// and gate compiled to WebAssembly against the native tokenizer and the
// LibTorch gate on the same prompts.
//   node parity_test.mjs ITD_WASM.js BUNDLE_DIR
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import { clipMerges, loadOrt } from '../build_defs/data_dir.mjs';

const [itdPath, bundle] = process.argv.slice(2);
const ort = loadOrt();
delete globalThis.fetch;  // emscripten 3.1.6 + Node 20 (docs/toolchain.md); ORT gets bytes
const itd = await createRequire(import.meta.url)(path.resolve(itdPath))();
const read = (name) => fs.readFileSync(path.join(bundle, name));
const parity = JSON.parse(read('parity.json'));
const gate = JSON.parse(read('gate.json'));

function maxAbsDiff(got, want) {
  assert.equal(got.length, want.length);
  let worst = 0;
  for (let i = 0; i < want.length; ++i) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  return worst;
}
const int64 = (ids) => new ort.Tensor('int64', BigInt64Array.from(ids, (v) => BigInt(v)), [1, ids.length]);

const gateEncoder = await ort.InferenceSession.create(read('clip_text_gate.onnx'));
const fullEncoder = await ort.InferenceSession.create(read('clip_text.onnx'));
const classifier = await ort.InferenceSession.create(read('mnist_cnn.onnx'));
const tokenizer = new itd.Tokenizer(clipMerges());
const features = [...new Set(Object.values(gate.concepts).flat())].sort((a, b) => a - b);
const sae = new Float32Array(read('sae.bin').buffer.slice(0));
const scorer = new itd.Gate(gate.d_model, gate.n_latents, sae, gate.k, features, gate.scale, gate.tau, gate.score);
assert.equal(scorer.error(), '');

let flagged = 0;
for (const p of parity.prompts) {
  const { ids } = tokenizer.encodeForGate(p.prompt);
  assert.deepEqual(ids, p.ids, `tokens of "${p.prompt}"`);
  const { hidden } = await gateEncoder.run({ input_ids: int64(ids) });
  const layerDiff = maxAbsDiff(hidden.data, p.hidden);
  assert.ok(layerDiff < 1e-4, `layer ${gate.layer} output of "${p.prompt}" differs by ${layerDiff}`);
  const last = (await fullEncoder.run({ input_ids: int64(ids) })).hidden.data;
  const lastDiff = maxAbsDiff(last, p.last_hidden_state);
  assert.ok(lastDiff < 1e-4, `last hidden state of "${p.prompt}" differs by ${lastDiff}`);
  const r = scorer.score(hidden.data, ids.length);
  assert.ok(Math.abs(r.score - p.score) <= 1e-4 * Math.max(Math.abs(p.score), 1e-6),
            `gate score of "${p.prompt}": ${r.score} (browser) vs ${p.score} (LibTorch)`);
  assert.equal(r.flagged, p.flagged, `verdict on "${p.prompt}"`);
  assert.deepEqual(r.fired.map((f) => f.feature), p.fired, `fired features of "${p.prompt}"`);
  flagged += r.flagged;
  console.log(`${r.flagged ? 'flagged' : 'passes '}  score ${r.score.toExponential(4)}  ` +
              `layer diff ${layerDiff.toExponential(1)}  last diff ${lastDiff.toExponential(1)}  "${p.prompt}"`);
}
// The default prompts hold both verdicts, so the comparison above tests both.
assert.ok(flagged > 0 && flagged < parity.prompts.length, `${flagged} of ${parity.prompts.length} flagged`);

const n = parity.digits;
const pixels = new Float32Array(n * 784);
for (let i = 0; i < n; ++i) pixels.set(gate.digits[i].pixels.map((v) => v / 255), i * 784);
const { logits } = await classifier.run({ pixels: new ort.Tensor('float32', pixels, [n, 1, 28, 28]) });
const logitDiff = maxAbsDiff(logits.data, parity.logits);
assert.ok(logitDiff < 1e-4, `logits differ by ${logitDiff}`);
console.log(`parity: ${parity.prompts.length} prompts and ${n} digits match LibTorch (logits within ${logitDiff.toExponential(1)})`);
