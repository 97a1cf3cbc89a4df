// The demo's speed in Chromium (the numbers of docs/benchmarks.md, "Browser
// demo"): page load, the gate per prompt (encoder in ONNX Runtime Web, gate in
// WebAssembly) over 30 prompts, and certification forwards per second. Compare
// with the native benchmarks run on the same machine:
//   bazel run //components/itd:itd_benchmark -- --benchmark_filter='PortableGate|BM_Gate/256|PromptToVerdict/1/'
//   bazel run //components/smoothing:forward_benchmark -- --benchmark_filter='BM_Forward/0/1000'
//   node browser_benchmark.mjs BUNDLE URL   (through with_bundle.sh --serve)
import { launchChromium } from '../build_defs/data_dir.mjs';

const [, url] = process.argv.slice(2);
const browser = await launchChromium();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  const page = await browser.newPage();
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForFunction(() => window.warden?.state.ready, null, { timeout: 120000 });
  console.log(`page load to ready: ${Date.now() - t0} ms`);
  const gate = await page.evaluate(async () => {
    const prompts = [];
    for (const name of Object.keys(window.warden.state.config.concepts).slice(0, 15)) {
      prompts.push(`a photo of ${name.replace(/^[a-z]+:/, '')}`);
    }
    for (const p of ['a bowl of fruit', 'a red car on a street', 'a mountain lake at dawn', 'a cat on a sofa',
                     'an old map of the city', 'a plate of pasta', 'two dogs playing in snow', 'a sailing boat',
                     'a bridge at night', 'a field of sunflowers', 'a wooden chair', 'a busy market',
                     'a snowy forest', 'a desk with a laptop', 'a glass of water']) prompts.push(p);
    await window.warden.checkPrompt(prompts[0]);  // warm-up
    const out = [];
    for (const p of prompts) {
      const t = performance.now();
      const r = await window.warden.checkPrompt(p);
      out.push({ total: performance.now() - t, encoder: r.encoderMs, gate: r.gateMs });
    }
    return out;
  });
  console.log(`gate over ${gate.length} prompts, median: prompt to verdict ${median(gate.map((g) => g.total)).toFixed(1)} ms ` +
              `(tokenize + encoder ${median(gate.map((g) => g.encoder)).toFixed(1)} ms, ` +
              `WASM gate ${median(gate.map((g) => g.gate)).toFixed(1)} ms)`);
  const certify = await page.evaluate(async () => {
    const times = [];
    for (let i = 0; i < 5; ++i) {
      window.warden.pickDigit(i);
      const c = await window.warden.certifyPixels(window.warden.currentPixels(), { n0: 100, n: 1000, alpha: 0.001, seed: i });
      times.push(c.samplingMs / 1100);
    }
    return times;
  });
  console.log(`certification: ${median(certify).toFixed(3)} ms per noisy forward (median of 5 digits, 1,100 each, ` +
              `batches of 100) = ${(1000 / median(certify)).toFixed(0)} forwards/s`);
} finally {
  await browser.close();
}
