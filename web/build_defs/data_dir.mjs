// Where tools/setup put the data sets (components/tensor/data_dir.h, same order
// of precedence minus the CLI flag): $WARDEN_DATA_DIR, $XDG_DATA_HOME/warden,
// $HOME/.local/share/warden.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

export function dataDir() {
  if (process.env.WARDEN_DATA_DIR) return process.env.WARDEN_DATA_DIR;
  if (process.env.XDG_DATA_HOME) return path.join(process.env.XDG_DATA_HOME, 'warden');
  return path.join(process.env.HOME || os.homedir(), '.local', 'share', 'warden');
}

// A file under the data directory; throws naming it and tools/setup if missing.
export function dataFile(relative) {
  const file = path.join(dataDir(), relative);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run tools/setup`);
  return file;
}

// CLIP's BPE merges, gunzipped.
export function clipMerges() {
  return zlib.gunzipSync(fs.readFileSync(dataFile('clip/bpe_simple_vocab_16e6.txt.gz'))).toString('utf8');
}

// ONNX Runtime Web's wasm build as tools/setup lays it out (web/ort/), loaded
// in Node: models are given as bytes (its Node fetch cannot read file paths).
export function loadOrt() {
  const dir = path.dirname(dataFile('web/ort/ort.wasm.min.js'));
  const ort = createRequire(import.meta.url)(path.join(dir, 'ort.wasm.min.js'));
  ort.env.wasm.wasmPaths = dir + '/';
  ort.env.wasm.numThreads = 1;
  return ort;
}

// An npm package tools/setup put in web/node_modules (playwright-core).
export function requireWebPackage(name) {
  dataFile(path.join('web/node_modules', name, 'package.json'));
  return createRequire(path.join(dataDir(), 'web/node_modules/'))(name);
}

// Debian's chromium, headless, driven by the playwright-core above (never a
// downloaded browser; docs/toolchain.md has the flags).
export async function launchChromium() {
  const { chromium } = requireWebPackage('playwright-core');
  return await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
