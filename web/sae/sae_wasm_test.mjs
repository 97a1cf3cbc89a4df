// The SAE core compiled by emcc: top-k encoding and decoding of a hand-checked
// 2-latent, 2-dimensional SAE, and clear errors for wrong sizes.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';

delete globalThis.fetch;  // emscripten 3.1.6 + Node 20 (docs/architecture.md)
const require = createRequire(import.meta.url);
const wasm = await require(path.resolve(process.argv[2]))();

// Encoder rows e0 = (1, 0), e1 = (0, 1); decoder directions the same; b_pre = (1, 1).
const sae = new wasm.SaeModel(2, 2, [1, 0, 0, 1], [1, 0, 0, 1], [1, 1], [0, -0.5]);
assert.equal(sae.error(), '');
// h = (4, 2): u = (3, 1 - 0.5) = (3, 0.5); top-1 keeps latent 0 with value 3.
const code = sae.encode([4, 2], 1);
assert.deepEqual(Array.from(code.indices), [0]);
assert.deepEqual(Array.from(code.values), [3]);
assert.deepEqual(Array.from(sae.decode(code.indices, code.values)), [4, 1]);
// Negative pre-activations are kept by top-k but ReLU'd to 0.
const neg = sae.encode([0, 0], 2);
assert.deepEqual(Array.from(neg.values), [0, 0]);
assert.match(sae.encode([1, 2, 3], 1).error, /wrong length/);
const broken = new wasm.SaeModel(2, 3, [1, 0], [1, 0], [0, 0], [0, 0, 0]);
assert.match(broken.error(), /w_enc/);
console.log('sae wasm: ok');
