// The whole loop in Chromium against `netwright serve --doc --data`: the sample project opens
// with its dataset, trains (the loss curve falls), pauses, resumes, stops after an epoch; the
// confusion matrix opens with a cell's images; Try it shows top-k and feature maps; the
// exported model loads in onnxruntime-node. Screenshots of the screens go to test-artifacts/.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { writeIdxPair } from '../fixtures/idx.ts';
import { tempDir } from '../fixtures/temp.ts';
import { sampleData } from '../fixtures/sample.ts';
import { shot, skipReason, start, type Session } from './helpers.ts';

let s: Session;
let data: string;
/** A shared, read-only dataset folder (as Debian's /usr/share/datasets) holding IDX pairs. */
let shared: string;
before(async () => {
  if (skipReason) return;
  data = sampleData(60);
  shared = tempDir('nw-shared-');
  fs.mkdirSync(path.join(shared, 'fashion-mnist'));
  writeIdxPair(path.join(shared, 'fashion-mnist'), 'train', 40, true);
  writeIdxPair(path.join(shared, 'fashion-mnist'), 't10k', 20, true);
  s = await start({
    serveArgs: (root) => {
      fs.copyFileSync('examples/sample-shapes.json', path.join(root, 'sample-shapes.json'));
      return ['--doc', path.join(root, 'sample-shapes.json'), '--data', data, '--threads', '1', '--datasets', shared];
    },
  });
});
after(async () => {
  await s?.close();
  if (data) fs.rmSync(data, { recursive: true, force: true });
});

type Series = { step: number[]; loss: number[] };
/** The points the plots are drawn from (the store behind the charts). */
const series = () => s.page.evaluate(() => (window as unknown as { __netwright: { train: { getState(): { series: Series } } } }).__netwright.train.getState().series);

test('train the sample project: report, live curves, pause/resume, stop after an epoch, gradient check', { skip: skipReason }, async () => {
  const { page } = s;
  await page.waitForFunction(() => document.querySelectorAll('.react-flow__node').length === 12);
  await page.click('[data-view="train"]');
  await page.waitForSelector('[data-testid="dataset-report"]');
  assert.match(await page.textContent('[data-testid="dataset-report"]') ?? '', /4 classes · 204 training · 36 validation/);
  // Augmentation previews: the originals as training sees them, then with a flip and a brightness range.
  await page.click('[data-testid="augmentation"] summary');
  await page.waitForSelector('[data-testid="augment-preview"][data-augmenting="false"]');
  assert.equal(await page.locator('[data-testid="augment-preview"] tbody tr').count(), 4 * 1 + 2, 'six images, classes in turn');
  assert.equal(await page.locator('[data-testid="augment-preview"] img').count(), 6 * 5);
  await page.check('input[aria-label="flip"]');
  await page.fill('input[aria-label="brightness"]', '0.4');
  await page.waitForSelector('[data-testid="augment-preview"][data-augmenting="true"]');
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('[data-testid="augment-preview"] tbody tr')];
    return rows.length === 6 && rows.every((r) => [...r.querySelectorAll('img')].slice(1).some((i) => i.getAttribute('src') !== r.querySelector('img')!.getAttribute('src')));
  });
  await page.locator('[data-testid="augmentation"]').screenshot({ path: path.join('test-artifacts', 'augmentation.png') });
  await page.uncheck('input[aria-label="flip"]');
  await page.fill('input[aria-label="brightness"]', '0');
  await page.waitForSelector('[data-testid="augment-preview"][data-augmenting="false"]');
  await page.click('[data-testid="augmentation"] summary');

  // The device list comes from the engine's probe: CPU chosen, a GPU provider without its files disabled.
  await page.waitForSelector('[data-testid="device"] option[value="cuda"]', { state: 'attached' });
  assert.equal(await page.inputValue('[data-testid="device"]'), 'cpu');
  const cudaOption = await page.locator('[data-testid="device"] option[value="cuda"]').evaluate((o) => ({ disabled: (o as HTMLOptionElement).disabled, title: o.getAttribute('title') }));
  if (cudaOption.disabled) assert.match(cudaOption.title ?? '', /CUDA needs/);
  await page.fill('input[aria-label="batch size"]', '8');
  await page.fill('input[aria-label="epochs"]', '30');
  await page.click('[data-testid="train-start"]');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="chart-step-loss"]')?.getAttribute('data-points')) >= 3);
  await page.click('[data-testid="train-pause"]');
  await page.waitForSelector('[data-testid="progress"][data-state="paused"]');
  const atPause = (await series()).step.length;
  await page.waitForTimeout(500);
  assert.equal((await series()).step.length, atPause, 'no steps while paused');
  await page.click('[data-testid="train-resume"]');
  await page.waitForFunction(() => (window as unknown as { __netwright: { train: { getState(): { epochs: unknown[] } } } }).__netwright.train.getState().epochs.length >= 3, undefined, { timeout: 120_000 });
  await page.click('[data-testid="train-stop"]');
  await page.waitForSelector('[data-testid="run-done"]', { timeout: 60_000 });
  assert.match(await page.textContent('[data-testid="run-done"]') ?? '', /^stopped at step \d+; best epoch \d/);

  const st = await series();
  assert.deepEqual(st.step, st.step.map((_, i) => i + 1), 'every step plotted once, in order');
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const first = mean(st.loss.slice(0, 10));
  const last = mean(st.loss.slice(-10));
  assert.ok(last < first - 0.05, `the loss curve should drop: ${first} -> ${last}`);
  const epochs = await s.page.evaluate(() => (window as unknown as { __netwright: { train: { getState(): { epochs: { loss: number }[] } } } }).__netwright.train.getState().epochs.map((e) => e.loss));
  assert.ok(epochs[2] < epochs[0], `epoch losses should fall: ${epochs}`);
  assert.equal(Number(await page.getAttribute('[data-testid="chart-step-loss"]', 'data-points')), st.step.length);
  assert.ok(Number(await page.getAttribute('[data-testid="chart-epoch-loss"]', 'data-points')) >= 2);

  await page.click('[data-testid="grad-check"]');
  await page.waitForSelector('[data-testid="grad-result"]', { timeout: 60_000 });
  const grad = await page.textContent('[data-testid="grad-result"]');
  assert.ok(!/MISMATCH/.test(grad ?? ''), grad ?? '');
  await page.waitForSelector('[data-testid="runs"] tbody tr');
  // Overlay a run: its step-loss curve joins the step chart (and its epoch curves the epoch charts).
  await page.locator('[data-testid="runs"] tbody tr input[type="radio"]').first().click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="chart-step-loss"] .u-legend .u-series').length === 4);
  await page.locator('[data-testid="data-dir"]').scrollIntoViewIfNeeded();
  await shot(page, 'training');
});

test('evaluate: confusion matrix with a cell\'s images; try an image; export and load the file in ONNX Runtime', { skip: skipReason }, async () => {
  const { page } = s;
  await page.click('[data-view="evaluate"]');
  await page.waitForSelector('[data-testid="confusion"]', { timeout: 60_000 });
  assert.match(await page.textContent('[data-testid="eval-accuracy"]') ?? '', /%$/);
  // The busiest cell: its images appear below the matrix.
  const counts = await page.locator('[data-testid="confusion"] td').allTextContents();
  const busiest = counts.map(Number).reduce((b, v, i, all) => (v > all[b] ? i : b), 0);
  const n = Number(counts[busiest]);
  assert.ok(n > 0);
  await page.locator('[data-testid="confusion"] td').nth(busiest).click();
  await page.waitForSelector('[data-testid="cell-title"]');
  await page.waitForFunction((k) => document.querySelectorAll('[data-testid="cell-images"] img').length === Math.min(k, 120), n);
  await shot(page, 'evaluate');

  await page.click('[data-view="try"]');
  await page.click('[data-testid="try-sample"] >> nth=0');
  await page.waitForSelector('[data-testid="try-result"] .topk-row');
  assert.equal(await page.locator('[data-testid="feature-maps"]').count(), 3);
  assert.equal(await page.locator('.filters canvas').count(), 16);
  await shot(page, 'try-it');
  // Predict a folder: every image of the dataset, a CSV in the project, a summary.
  await page.click('[data-testid="predict-dataset-button"]');
  await page.waitForSelector('[data-testid="predict-folder-result"]', { timeout: 60_000 });
  assert.match(await page.textContent('[data-testid="predict-folder-result"]') ?? '', /Classified 240 of 240 file\(s\).*top-1 matches the class folder for \d+\/240.*CSV: .*predictions/);

  await page.click('[data-view="export"]');
  await page.click('[data-testid="export-button"]');
  await page.waitForSelector('[data-testid="export-result"]', { timeout: 60_000 });
  assert.equal(await page.getAttribute('[data-testid="export-result"]', 'data-ok'), 'true');
  const file = (await page.getAttribute('[data-testid="export-result"]', 'data-path'))!;
  await shot(page, 'export');
  const session = await ort.InferenceSession.create(file);
  const out = await session.run({ input: new ort.Tensor('float32', new Float32Array(2 * 3 * 32 * 32).fill(0.5), [2, 3, 32, 32]) });
  assert.deepEqual(out.probs.dims, [2, 4]);
  const p = out.probs.data as Float32Array;
  assert.ok(Math.abs(p[0] + p[1] + p[2] + p[3] - 1) < 1e-5);
  await session.release();
  // Export > PyTorch: the package lands in <project>/exports/<run>-pytorch.
  await page.click('[data-testid="export-pytorch-button"]');
  await page.waitForSelector('[data-testid="export-pytorch-result"]', { timeout: 60_000 });
  const pkg = (await page.getAttribute('[data-testid="export-pytorch-result"]', 'data-path'))!;
  for (const f of ['model.py', 'train.py', 'weights.pt', 'README.md']) assert.ok(fs.existsSync(path.join(pkg, f)), f);
  assert.deepEqual(s.errors, []);
});

test('import IDX files from a shared dataset folder in the dataset panel: the new folder becomes the dataset', { skip: skipReason }, async () => {
  const { page } = s;
  await page.click('[data-view="train"]');
  await page.click('[data-testid="import-idx"]');
  await page.click('[data-testid="idx-shortcut"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="idx-dir"]')?.textContent?.endsWith('/fashion-mnist'));
  await page.click('[data-testid="import-run"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="data-dir"]')?.textContent?.endsWith('/fashion-mnist'), undefined, { timeout: 60_000 });
  await page.waitForFunction(() => /10 classes · 40 training · 20 validation/.test(document.querySelector('[data-testid="dataset-report"]')?.textContent ?? ''), undefined, { timeout: 60_000 });
  assert.match(await page.textContent('[data-testid="dataset-report"]') ?? '', /Ankle_boot/);
  assert.deepEqual(s.errors, []);
});
