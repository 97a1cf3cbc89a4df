// The demo in a real browser (Debian's chromium driven by npm playwright-core;
// never a downloaded browser), served by `warden web serve`:
//   - a target-concept prompt is flagged and a neutral one passes, typed into the
//     page, and every parity prompt gets the LibTorch gate's verdict;
//   - a test digit is certified on the page and its radius equals the native
//     CLI's (`warden smooth radius`) for the same counts;
//   - a screenshot is kept (docs/web_demo.png is one).
//   node browser_test.mjs WARDEN SCREENSHOT BUNDLE URL
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { launchChromium } from '../build_defs/data_dir.mjs';

const [warden, screenshotName, bundle, url] = process.argv.slice(2);
// Bazel keeps a test's undeclared outputs (bazel-testlogs/.../test.outputs/).
const screenshot = path.join(process.env.TEST_UNDECLARED_OUTPUTS_DIR || '.', screenshotName);
const parity = JSON.parse(fs.readFileSync(path.join(bundle, 'parity.json')));

const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 1300 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  // Offline: any request that leaves the local server fails the test.
  const host = new URL(url).host;
  await page.route('**/*', (route) => {
    if (new URL(route.request().url()).host !== host) {
      errors.push(`off-origin request: ${route.request().url()}`);
      return route.abort();
    }
    return route.continue();
  });

  const t0 = Date.now();
  await page.goto(url);
  await page.waitForFunction(() => window.warden?.state.ready || document.querySelector('#status.error'),
                             null, { timeout: 120000 });
  assert.deepEqual(errors, []);
  assert.match(await page.textContent('#status'), /^Ready/);
  console.log(`page ready in ${Date.now() - t0} ms: ${await page.textContent('#status')}`);

  // Typed prompts: a target concept and a neutral one.
  async function typePrompt(text) {
    await page.fill('#prompt', text);
    await page.evaluate(() => { document.querySelector('#verdict').textContent = '–'; });
    await page.click('#gate-run');
    await page.waitForFunction(() => document.querySelector('#verdict').textContent !== '–');
    return await page.textContent('#verdict');
  }
  assert.match(await typePrompt('a bowl of fruit on a wooden table'), /passes/);
  assert.match(await typePrompt('a photo of amy adams'), /flagged/);
  assert.notEqual((await page.textContent('#fired')).trim(), 'none');
  // Every parity prompt: the LibTorch gate's verdict.
  for (const p of parity.prompts) {
    const r = await page.evaluate((text) => window.warden.checkPrompt(text), p.prompt);
    assert.equal(r.flagged, p.flagged, `verdict on "${p.prompt}"`);
    assert.ok(Math.abs(r.score - p.score) <= 1e-4 * Math.max(Math.abs(p.score), 1e-6), `score of "${p.prompt}"`);
  }

  // Certify test digit #0 with the page's defaults (n0 = 100, n = 1000).
  await page.selectOption('#digit-pick', '0');
  await page.click('#certify-run');
  await page.waitForFunction(() => window.warden.state.lastCertificate || document.querySelector('#status.error'),
                             null, { timeout: 120000 });
  assert.doesNotMatch(await page.textContent('#status'), /certify/, 'the page reported an error');
  const c = await page.evaluate(() => window.warden.state.lastCertificate);
  assert.equal(c.estimation.reduce((a, b) => a + b, 0), 1000);
  assert.equal(c.selection.reduce((a, b) => a + b, 0), 100);
  const native = execFileSync(warden, ['smooth', 'radius', `--selection=${c.selection.join(',')}`,
    `--estimation=${c.estimation.join(',')}`, `--sigma=${c.sigma}`, `--alpha=${c.alpha}`]).toString().trim();
  const m = native.match(/^class (\d+) radius (\S+) p_a_lower (\S+)$/);
  assert.ok(m, `native CLI said: ${native}`);
  assert.equal(c.predictedClass, Number(m[1]));
  assert.ok(Math.abs(c.radius - Number(m[2])) < 1e-12, `radius ${c.radius} (browser) vs ${m[2]} (native)`);
  const label = (await page.evaluate(() => window.warden.state.config.digits[0].label));
  assert.equal(c.predictedClass, label, 'test digit #0 is certified as its label');
  assert.ok(c.radius > 0.3, `radius ${c.radius}`);
  assert.equal((await page.textContent('#radius')).trim(), c.radius.toFixed(4));
  console.log(`certified digit #0 (label ${label}): class ${c.predictedClass}, radius ${c.radius.toFixed(4)} ` +
              `= native; ${c.selection.length} classes, 1100 forwards in ${c.samplingMs.toFixed(0)} ms`);

  await page.fill('#prompt', 'a photo of amy adams');
  await page.click('#gate-run');
  await page.waitForTimeout(300);
  await page.screenshot({ path: screenshot, fullPage: true });
  assert.deepEqual(errors, []);
  console.log(`browser test: ok (screenshot ${screenshot})`);
} finally {
  await browser.close();
}
