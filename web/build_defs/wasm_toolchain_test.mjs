// Loads the emcc-built module under Node and checks it computes what the
// native build computes. Run by //web/build_defs:wasm_toolchain_test.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';

delete globalThis.fetch;  // emscripten 3.1.6 + Node 20: see docs/toolchain.md
const require = createRequire(import.meta.url);
const create = require(path.resolve(process.argv[2]));
const wasm = await create();
assert.equal(wasm.dot([1, 2, 3], [4, 5, 6]), 32);
assert.ok(Number.isNaN(wasm.dot([1, 2], [1])));
console.log('wasm toolchain: ok');
