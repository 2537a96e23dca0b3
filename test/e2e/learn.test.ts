// The Learn panel in Chromium on the sample project and its dataset: the conv flashlight steps
// over conv1's real input and the multiply-and-sum it shows equals the engine's output at that
// position (the same value learnLayer computes here, in this process); the nudge shows the finite
// difference next to autodiff; the activation view draws relu2's real input distribution.
// Then Add / Concat / Pad on a residual net: the shown a + b is the engine's sum at clicked cells,
// a Concat channel names its source, a Pad's border cells hold the pad value.
// The language comes from the toolbar's selector only. Screenshots: docs/learn-conv.png,
// docs/learn-activation.png, docs/zh-CN-learn.png, docs/learn-add.png (and test-artifacts/).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { learnLayer } from '../../engine/session/learn.ts';
import { Project } from '../../engine/session/project.ts';
import type { LearnView } from '../../engine/protocol.ts';
import { residualNet } from '../fixtures/nets.ts';
import { sampleData, sampleProject } from '../fixtures/sample.ts';
import { shot, skipReason, start, type Session } from './helpers.ts';

let s: Session;
let data: string;
before(async () => {
  if (skipReason) return;
  data = sampleData(40);
  s = await start({
    serveArgs: (root) => {
      fs.copyFileSync('examples/sample-shapes.json', path.join(root, 'sample-shapes.json'));
      return ['--doc', path.join(root, 'sample-shapes.json'), '--data', data, '--threads', '1'];
    },
  });
});
after(async () => {
  await s?.close();
  if (data) fs.rmSync(data, { recursive: true, force: true });
});

const node = (id: string) => `.react-flow__node[data-id="${id}"]`;
const num = async (sel: string, attr: string) => Number(await s.page.getAttribute(sel, attr));
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(a), Math.abs(b));

test('Learn panel: the flashlight’s multiply-and-sum is the engine’s conv output; nudging shows FD next to autodiff', { skip: skipReason }, async () => {
  const { page } = s;
  await page.locator(node('conv1')).click();
  // The inspector's "Freeze up to here" stays on one line, inside the panel, in both languages.
  for (const lang of ['en', 'zh-CN']) {
    await page.selectOption('[data-testid="language"]', lang);
    const fit = await page.locator('.freeze-up-to').evaluate((el) => {
      const r = el.getBoundingClientRect();
      const side = el.closest('.side')!.getBoundingClientRect();
      const line = parseFloat(getComputedStyle(el).fontSize) * 1.6;
      return { height: r.height, line, inside: r.right <= side.right && r.left >= side.left, text: el.textContent };
    });
    assert.ok(fit.inside && fit.height < 2 * fit.line, `${lang}: "${fit.text}" is ${fit.height}px high (one line: under ${2 * fit.line}px), inside the panel: ${fit.inside}`);
    await shot(page, `inspector-freeze-${lang}`);
  }
  await page.selectOption('[data-testid="language"]', 'en');
  await page.click('[data-testid="side-learn"]');
  await page.waitForSelector('[data-testid="learn-conv"]', { timeout: 60_000 });
  assert.match(await page.textContent('[data-testid="learn-explain"]') ?? '', /flashlight/);
  assert.equal(await page.getAttribute('[data-testid="learn-weights"]', 'data-source'), 'init');

  // The engine's own values for this layer, computed here on the same document and dataset.
  const mine = await learnLayer(new Project(s.root, { dataDirs: [data] }), sampleProject(), data, 'conv1', { docPath: 'sample-shapes.json' });
  assert.equal(mine.view.kind, 'conv');
  const out = (mine.view as { output: number[]; outSize: [number, number] }).output;
  const wo = (mine.view as { outSize: [number, number] }).outSize[1];
  for (let k = 0; k < 40; k++) {
    const i = await num('[data-testid="learn-conv-pos"]', 'data-i');
    const j = await num('[data-testid="learn-conv-pos"]', 'data-j');
    assert.equal(i * wo + j, k);
    const sum = await num('[data-testid="learn-conv-sum"]', 'data-sum');
    const shownEngine = await num('[data-testid="learn-conv-engine"]', 'data-value');
    assert.ok(close(sum, shownEngine), `at (${i}, ${j}): the panel's sum ${sum} vs the output it shows ${shownEngine}`);
    assert.ok(close(sum, out[k]), `at (${i}, ${j}): the panel's sum ${sum} vs the engine's ${out[k]}`);
    if (k === 37) await shot(page, 'learn-conv');
    await page.click('[data-testid="learn-step"]');
  }
  // Play runs on by itself; pause stops it.
  await page.click('[data-testid="learn-play"]');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="learn-conv-pos"]')?.getAttribute('data-i')) >= 4);
  await page.click('[data-testid="learn-play"]');

  await page.fill('[data-testid="learn-nudge-index"]', '13');
  await page.click('[data-testid="learn-nudge-run"]');
  await page.waitForSelector('[data-testid="learn-nudge-result"]', { timeout: 60_000 });
  const fd = await num('[data-testid="learn-nudge-result"]', 'data-fd');
  const ad = await num('[data-testid="learn-nudge-result"]', 'data-ad');
  assert.ok(Number.isFinite(fd) && Number.isFinite(ad) && ad !== 0);
  assert.ok(Math.abs(fd - ad) <= 3e-2 * Math.abs(ad), `FD ${fd} vs autodiff ${ad}`);
  assert.match(await page.textContent('[data-testid="learn-fd"]') ?? '', /Finite difference/);
  // Tall enough for the flashlight and the nudge's result in one picture.
  await page.setViewportSize({ width: 1440, height: 1240 });
  await page.locator('[data-testid="learn-panel"]').evaluate((el) => el.closest('.side')!.scrollTo(0, 0));
  await page.screenshot({ path: 'docs/learn-conv.png' });
  await page.setViewportSize({ width: 1440, height: 960 });

  // An activation: the curve over relu2's real input distribution, with the negative fraction.
  await page.locator(node('relu2')).click();
  await page.waitForSelector('[data-testid="learn-activation"]', { timeout: 60_000 });
  const neg = await num('[data-testid="learn-negative"]', 'data-value');
  assert.ok(neg > 0 && neg < 1);
  assert.match(await page.textContent('[data-testid="learn-dead"]') ?? '', /dead units/);
  // One language control: the toolbar's selector; the panel has none of its own and follows it at once.
  assert.equal(await page.locator('.learn-panel button', { hasText: /中文|English/ }).count(), 0);
  await page.selectOption('[data-testid="language"]', 'zh-CN');
  await page.waitForFunction(() => /死亡/.test(document.querySelector('[data-testid="learn-explain"]')?.textContent ?? ''));
  await page.selectOption('[data-testid="language"]', 'en');
  await page.waitForFunction(() => /dead/.test(document.querySelector('[data-testid="learn-explain"]')?.textContent ?? ''));
  // Mini-batch SGD: a short real training at batch 32, 64 and 128.
  await page.click('[data-testid="learn-batches-run"]');
  await page.waitForSelector('[data-testid="learn-batch-128"]', { timeout: 120_000 });
  for (const b of [32, 64, 128]) assert.match(await page.textContent(`[data-testid="learn-batch-${b}"]`) ?? '', new RegExp(`^Batch ${b}: mean \\d`));
  await page.setViewportSize({ width: 1440, height: 1240 });
  await page.locator('[data-testid="learn-panel"]').evaluate((el) => el.closest('.side')!.scrollTo(0, 0));
  await page.screenshot({ path: 'docs/learn-activation.png' });

  // The same panel in Chinese (switched from the toolbar): conv1's flashlight, for the README.
  await page.setViewportSize({ width: 1440, height: 960 });
  await page.selectOption('[data-testid="language"]', 'zh-CN');
  await page.locator(node('conv1')).click();
  await page.waitForSelector('[data-testid="learn-conv"]', { timeout: 60_000 });
  await page.waitForFunction(() => /手电筒/.test(document.querySelector('[data-testid="learn-explain"]')?.textContent ?? ''));
  for (let k = 0; k < 37; k++) await page.click('[data-testid="learn-step"]');
  assert.equal(await num('[data-testid="learn-conv-pos"]', 'data-j'), 5);
  await page.setViewportSize({ width: 1440, height: 1240 });
  await page.locator('[data-testid="learn-panel"]').evaluate((el) => el.closest('.side')!.scrollTo(0, 0));
  await page.screenshot({ path: 'docs/zh-CN-learn.png' });
  await page.setViewportSize({ width: 1440, height: 960 });
  await page.selectOption('[data-testid="language"]', 'en');
  assert.deepEqual(s.errors, []);
});

test('Learn panel: Add shows a + b = the engine’s sum, Concat where each channel comes from, Pad its border (a residual net)', { skip: skipReason }, async () => {
  const { page } = s;
  const doc = residualNet();
  await page.evaluate((d) => (window as unknown as { __netwright: { store: { load(d: unknown, p: null): void } } }).__netwright.store.load(d, null), doc);
  const project = new Project(s.root, { dataDirs: [data] });
  const select = (id: string) => page.evaluate((n) => (window as unknown as { __netwright: { store: { select(x: unknown): void } } }).__netwright.store.select({ nodes: [n], edges: [] }), id);
  await page.click('[data-testid="side-learn"]');

  // Add: the engine's two inputs at the picked position, their sum, and the layer's real output there.
  await select('add');
  await page.waitForSelector('[data-testid="learn-add"]', { timeout: 60_000 });
  const add = (await learnLayer(project, doc, data, 'add', { channel: 2 })).view as Extract<LearnView, { kind: 'add' }>;
  await page.selectOption('[data-testid="learn-add-channel"]', '2');
  await page.waitForSelector('[data-testid="learn-add"][data-channel="2"]', { timeout: 60_000 });
  // Click a few cells of the output map: each shows a + b and the engine's value there.
  const box = (await page.locator('[data-testid="learn-add-out"]').boundingBox())!;
  const [h, w] = add.size;
  for (const [y, x] of [[0, 0], [16, 15], [32, 30], [5, 27]]) {
    await page.mouse.click(box.x + ((x + 0.5) * box.width) / w, box.y + ((y + 0.5) * box.height) / h);
    await page.waitForFunction((k) => document.querySelector('[data-testid="learn-add-sum"]')?.getAttribute('data-k') === String(k), y * w + x);
    const sum = await num('[data-testid="learn-add-sum"]', 'data-sum');
    const shown = await num('[data-testid="learn-add-engine"]', 'data-value');
    const k = y * w + x;
    assert.ok(close(sum, add.inputs[0].plane[k] + add.inputs[1].plane[k]), `(${y}, ${x}): the panel's a + b ${sum}`);
    assert.ok(close(shown, add.output[k]) && close(sum, shown), `(${y}, ${x}): shown ${shown}, engine ${add.output[k]}, sum ${sum}`);
  }
  assert.match(await page.textContent('[data-testid="learn-add-skip"]') ?? '', /skip connection carries r1/);
  // For the picture: the cell where the skip (r1) carries the most.
  const top = add.inputs[1].plane.indexOf(Math.max(...add.inputs[1].plane));
  await page.mouse.click(box.x + ((top % w + 0.5) * box.width) / w, box.y + ((Math.floor(top / w) + 0.5) * box.height) / h);
  await page.waitForFunction((k) => document.querySelector('[data-testid="learn-add-sum"]')?.getAttribute('data-k') === String(k), top);
  await page.setViewportSize({ width: 1440, height: 1100 });
  await page.screenshot({ path: 'docs/learn-add.png' });
  await page.setViewportSize({ width: 1440, height: 960 });

  // Concat: output channel 7 is channel 1 of c3, value for value.
  await select('cat');
  await page.waitForSelector('[data-testid="learn-concat"]', { timeout: 60_000 });
  await page.click('[data-testid="learn-concat-ch-7"]');
  await page.waitForSelector('[data-testid="learn-concat-source"][data-input="1"][data-channel="1"]', { timeout: 60_000 });
  assert.equal(await page.getAttribute('[data-testid="learn-concat-same"]', 'data-same'), 'true');
  assert.match(await page.textContent('[data-testid="learn-concat-source"]') ?? '', /channel 7 is channel 1 of c3/);
  await shot(page, 'learn-concat');

  // Pad of the image itself: the orange cells hold the pad value, the others the image's.
  await select('pd1');
  await page.waitForSelector('[data-testid="learn-pad"]', { timeout: 60_000 });
  const cells = await page.$$eval('[data-testid="learn-pad-cells"] span', (els) => els.map((e) => ({ border: e.getAttribute('data-border') === 'true', value: Number(e.getAttribute('data-value')), input: e.getAttribute('data-input') })));
  assert.ok(cells.some((c) => c.border) && cells.some((c) => !c.border));
  for (const c of cells) assert.ok(c.border ? c.value === 0.25 : c.value === Number(c.input), JSON.stringify(c));
  await shot(page, 'learn-pad');
  // In Chinese too (no text runs out of its box: checked on the screenshots).
  await page.selectOption('[data-testid="language"]', 'zh-CN');
  await page.waitForFunction(() => /边框/.test(document.querySelector('[data-testid="learn-pad"]')?.textContent ?? ''));
  await shot(page, 'learn-pad-zh');
  await select('add');
  await page.waitForSelector('[data-testid="learn-add"]', { timeout: 60_000 });
  await shot(page, 'learn-add-zh');
  await page.selectOption('[data-testid="language"]', 'en');
  assert.deepEqual(s.errors, []);
});
