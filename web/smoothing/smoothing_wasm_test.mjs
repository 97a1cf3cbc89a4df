// The smoothing core compiled by emcc gives the native results under Node.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';

delete globalThis.fetch;  // emscripten 3.1.6 + Node 20 (docs/architecture.md)
const require = createRequire(import.meta.url);
const wasm = await require(path.resolve(process.argv[2]))();

// scipy: 0.5 * norm.ppf(beta.ppf(0.001, 99000, 1001)) = 1.144999977606883 (as the native test).
const r = wasm.certify([1, 97, 2], [600, 99000, 400], 0.5, 0.001);
assert.equal(r.predictedClass, 1);
assert.ok(Math.abs(r.radius - 1.144999977606883) < 1e-12, `radius ${r.radius}`);
assert.equal(wasm.certify([10, 90], [5000, 5000], 0.25, 0.001).predictedClass, -1);
assert.equal(wasm.predict([3, 90, 7], 0.001).predictedClass, 1);
assert.equal(wasm.predict([48, 52], 0.001).predictedClass, -1);
// mpmath reference (components/smoothing/testdata/stats_reference.tsv).
const want = 0.9999861845848757622254;
assert.ok(Math.abs(wasm.clopperPearsonLower(1e6, 1e6, 1e-6) - want) / want < 1e-9);
assert.ok(Math.abs(wasm.normalQuantile(1e-300) + 37.04709629936119923654) < 1e-9 * 37);
console.log('smoothing wasm: ok');
