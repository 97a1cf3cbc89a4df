// The browser demo: CLIP tokenizer + SAE concept gate (WebAssembly, from
// web/itd) over the text encoder (ONNX Runtime Web), and CERTIFY (WebAssembly,
// from web/smoothing) over the MNIST classifier (ONNX Runtime Web). The models
// come from the bundle `warden web export` writes (components/onnx/web_bundle.h).
/* global ort, create_itd_wasm, create_smoothing_wasm */

const $ = (id) => document.getElementById(id);
const state = { ready: false };

function setStatus(text, error = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', error);
}

async function fetchOk(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response;
}

async function gunzipText(response) {
  const stream = response.body.pipeThrough(new DecompressionStream('gzip'));
  return await new Response(stream).text();
}

// ---- the concept gate ------------------------------------------------------

async function loadGate(gate, itd) {
  const [merges, sae, encoder] = await Promise.all([
    fetchOk('data/bpe_simple_vocab_16e6.txt.gz').then(gunzipText),
    fetchOk('bundle/sae.bin').then((r) => r.arrayBuffer()),
    ort.InferenceSession.create('bundle/clip_text_gate.onnx', { executionProviders: ['wasm'] }),
  ]);
  const tokenizer = new itd.Tokenizer(merges);
  if (tokenizer.error()) throw new Error(`tokenizer: ${tokenizer.error()}`);
  // Every concept's features at once: the gate of the whole registry.
  const owners = new Map();
  for (const [name, features] of Object.entries(gate.concepts)) {
    for (const f of features) owners.set(f, [...(owners.get(f) || []), name]);
  }
  const features = [...owners.keys()].sort((a, b) => a - b);
  const scorer = new itd.Gate(gate.d_model, gate.n_latents, new Float32Array(sae), gate.k, features,
                              gate.scale, gate.tau, gate.score);
  if (scorer.error()) throw new Error(`gate: ${scorer.error()}`);
  return { tokenizer, scorer, encoder, owners };
}

// Tokenize → encoder up to the gate's layer → SAE gate. Returns the verdict.
async function checkPrompt(text) {
  const { tokenizer, scorer, encoder, owners } = state.gate;
  const t0 = performance.now();
  const { ids, eosPosition } = tokenizer.encodeForGate(text);
  const input = new ort.Tensor('int64', BigInt64Array.from(ids, (v) => BigInt(v)), [1, ids.length]);
  const { hidden } = await encoder.run({ input_ids: input });
  const t1 = performance.now();
  const result = scorer.score(hidden.data, ids.length);
  const t2 = performance.now();
  if (result.error) throw new Error(result.error);
  return {
    prompt: text,
    ids,
    tokens: ids.slice(1, eosPosition).map((id) => tokenizer.tokenText(id).replace(/<\/w>$/, '')),
    score: result.score,
    flagged: result.flagged,
    fired: result.fired.map((f) => ({ feature: f.feature, value: f.value, concepts: owners.get(f.feature) || [] })),
    encoderMs: t1 - t0,
    gateMs: t2 - t1,
  };
}

function showVerdict(r) {
  $('verdict').textContent = r.flagged ? 'flagged: concept features would be deactivated' : 'passes unchanged';
  $('verdict').className = r.flagged ? 'flagged' : 'passed';
  $('score').textContent = r.score.toExponential(4);
  $('tau').textContent = state.config.tau.toExponential(4);
  $('gate-time').textContent = `encoder ${r.encoderMs.toFixed(1)} ms, gate ${r.gateMs.toFixed(1)} ms`;
  $('tokens').textContent = r.tokens.join(' · ');
  const list = $('fired');
  list.replaceChildren();
  for (const f of r.fired.slice(0, 12)) {
    const item = document.createElement('li');
    const names = f.concepts.slice(0, 3).map((c) => c.replace(/^[a-z]+:/, '')).join(', ');
    item.textContent = `feature ${f.feature} (z = ${f.value.toFixed(3)}), in ${f.concepts.length} concept(s): ${names}` +
      (f.concepts.length > 3 ? ', …' : '');
    list.appendChild(item);
  }
  if (r.fired.length === 0) {
    const item = document.createElement('li');
    item.textContent = 'none';
    list.appendChild(item);
  }
}

// ---- certification ---------------------------------------------------------

// A seeded Gaussian stream: mulberry32 uniforms, Box–Muller pairs.
function gaussian(seed) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare = null;
  return () => {
    if (spare !== null) { const s = spare; spare = null; return s; }
    const u = 1 - uniform(), v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

// Class counts of `n` noisy copies of `pixels` (784 floats in [0, 1]).
async function sampleCounts(pixels, n, sigma, noise, onBatch) {
  const counts = new Array(10).fill(0);
  const batch = 100;
  for (let done = 0; done < n;) {
    const b = Math.min(batch, n - done);
    const x = new Float32Array(b * 784);
    for (let i = 0; i < b; ++i) {
      for (let p = 0; p < 784; ++p) x[i * 784 + p] = pixels[p] + sigma * noise();
    }
    const { logits } = await state.classifier.run({ pixels: new ort.Tensor('float32', x, [b, 1, 28, 28]) });
    for (let i = 0; i < b; ++i) {
      let best = 0;
      for (let c = 1; c < 10; ++c) if (logits.data[i * 10 + c] > logits.data[i * 10 + best]) best = c;
      counts[best] += 1;
    }
    done += b;
    onBatch(b);
  }
  return counts;
}

// CERTIFY (Cohen et al. 2019, Alg. 1): n0 samples select ĉ_A, n estimate p_A.
async function certifyPixels(pixels, { n0, n, alpha, seed }) {
  const sigma = state.config.classifier.sigma;
  const noise = gaussian(seed);
  const total = n0 + n;
  let done = 0;
  const progress = (b) => { done += b; $('certify-progress').value = done / total; };
  const t0 = performance.now();
  const selection = await sampleCounts(pixels, n0, sigma, noise, progress);
  const estimation = await sampleCounts(pixels, n, sigma, noise, progress);
  const t1 = performance.now();
  const r = state.smoothing.certify(selection, estimation, sigma, alpha);
  const t2 = performance.now();
  return { selection, estimation, sigma, alpha, predictedClass: r.predictedClass, radius: r.radius,
           pALower: r.pALower, samplingMs: t1 - t0, certifyMs: t2 - t1 };
}

function showCertificate(r) {
  $('prediction').textContent = r.predictedClass < 0 ? 'abstain' : String(r.predictedClass);
  $('radius').textContent = r.predictedClass < 0 ? '–' : r.radius.toFixed(4);
  $('pa').textContent = r.pALower.toFixed(5);
  $('certify-time').textContent = `${(r.samplingMs / 1000).toFixed(2)} s for ${r.estimation.reduce((a, b) => a + b, 0) +
    r.selection.reduce((a, b) => a + b, 0)} forwards`;
  $('counts').textContent = r.estimation.map((c, k) => `${k}:${c}`).join(' ');
}

// ---- the canvas ------------------------------------------------------------

function canvasPixels() {
  const small = document.createElement('canvas');
  small.width = 28;
  small.height = 28;
  const ctx = small.getContext('2d');
  ctx.drawImage($('canvas'), 0, 0, 28, 28);
  const rgba = ctx.getImageData(0, 0, 28, 28).data;
  const pixels = new Float32Array(784);
  for (let p = 0; p < 784; ++p) pixels[p] = rgba[p * 4] / 255;
  return pixels;
}

function showPixels(pixels) {
  const small = document.createElement('canvas');
  small.width = 28;
  small.height = 28;
  const ctx = small.getContext('2d');
  const image = ctx.createImageData(28, 28);
  for (let p = 0; p < 784; ++p) {
    const v = Math.round(pixels[p] * 255);
    image.data.set([v, v, v, 255], p * 4);
  }
  ctx.putImageData(image, 0, 0);
  const big = $('canvas').getContext('2d');
  big.imageSmoothingEnabled = false;
  big.drawImage(small, 0, 0, 280, 280);
}

function setUpCanvas() {
  const canvas = $('canvas');
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, 280, 280);
  let drawing = false;
  const at = (e) => { const b = canvas.getBoundingClientRect(); return [e.clientX - b.left, e.clientY - b.top]; };
  canvas.addEventListener('pointerdown', (e) => { drawing = true; state.picked = null; ctx.beginPath(); ctx.moveTo(...at(e)); });
  canvas.addEventListener('pointermove', (e) => {
    if (!drawing) return;
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 22;
    ctx.lineCap = 'round';
    ctx.lineTo(...at(e));
    ctx.stroke();
  });
  window.addEventListener('pointerup', () => { drawing = false; });
  $('clear').addEventListener('click', () => { state.picked = null; ctx.fillRect(0, 0, 280, 280); });
}

function currentPixels() {
  return state.picked !== null ? Float32Array.from(state.config.digits[state.picked].pixels, (v) => v / 255)
                               : canvasPixels();
}

function pickDigit(index) {
  state.picked = index;
  $('digit-pick').value = String(index);
  showPixels(Float32Array.from(state.config.digits[index].pixels, (v) => v / 255));
}

// ---- start-up --------------------------------------------------------------

async function main() {
  ort.env.wasm.wasmPaths = new URL('ort/', document.baseURI).href;
  ort.env.wasm.numThreads = 1;  // no cross-origin isolation here: no shared memory
  const t0 = performance.now();
  const [config, itd, smoothing] = await Promise.all([
    fetchOk('bundle/gate.json').then((r) => r.json()), create_itd_wasm(), create_smoothing_wasm()]);
  state.config = config;
  state.smoothing = smoothing;
  $('gate-layer').textContent = config.layer;
  $('gate-tau').textContent = config.tau.toExponential(3);
  $('sigma').textContent = config.classifier.sigma;
  const [gate, classifier] = await Promise.all([
    loadGate(config, itd),
    ort.InferenceSession.create('bundle/mnist_cnn.onnx', { executionProviders: ['wasm'] }),
  ]);
  state.gate = gate;
  state.classifier = classifier;
  for (const [i, d] of config.digits.entries()) {
    const option = document.createElement('option');
    option.value = String(i);
    option.textContent = `#${i} (label ${d.label})`;
    $('digit-pick').appendChild(option);
  }
  setUpCanvas();
  pickDigit(0);
  $('digit-pick').addEventListener('change', (e) => pickDigit(Number(e.target.value)));

  $('gate-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      showVerdict(await checkPrompt($('prompt').value));
    } catch (err) {
      setStatus(`gate: ${err.message}`, true);
    }
  });
  $('certify-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    $('certify-run').disabled = true;
    try {
      const options = { n0: Number($('n0').value), n: Number($('n').value), alpha: Number($('alpha').value),
                        seed: Number($('seed').value) };
      if (!(options.n0 >= 1 && options.n >= 1 && options.alpha > 0 && options.alpha < 1)) {
        throw new Error('need n₀ ≥ 1, n ≥ 1 and 0 < α < 1');
      }
      state.lastCertificate = await certifyPixels(currentPixels(), options);
      showCertificate(state.lastCertificate);
    } catch (err) {
      setStatus(`certify: ${err.message}`, true);
    } finally {
      $('certify-run').disabled = false;
    }
  });
  for (const id of ['prompt', 'gate-run', 'certify-run']) $(id).disabled = false;
  state.ready = true;
  setStatus(`Ready: models loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s ` +
            `(${Object.keys(config.concepts).length} concepts, layer ${config.layer}).`);
}

// For tests and the console: the same functions the buttons use.
window.warden = { state, checkPrompt, certifyPixels, currentPixels, pickDigit };
main().catch((err) => setStatus(`Could not load: ${err.message}`, true));
