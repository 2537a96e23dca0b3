// The Learn panel in Chromium on the sample project and its dataset: the conv flashlight steps
// over conv1's real input and the multiply-and-sum it shows equals the engine's output at that
// position (the same value learnLayer computes here, in this process); the nudge shows the finite
// difference next to autodiff; the activation view draws relu2's real input distribution.
// Screenshots: docs/learn-conv.png, docs/learn-activation.png (and test-artifacts/).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { learnLayer } from '../../engine/session/learn.ts';
import { Project } from '../../engine/session/project.ts';
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
  await page.click('[data-testid="learn-language"]');
  await page.waitForFunction(() => /死亡/.test(document.querySelector('[data-testid="learn-explain"]')?.textContent ?? ''));
  await page.click('[data-testid="learn-language"]');
  await page.waitForFunction(() => /dead/.test(document.querySelector('[data-testid="learn-explain"]')?.textContent ?? ''));
  // Mini-batch SGD: a short real training at batch 32, 64 and 128.
  await page.click('[data-testid="learn-batches-run"]');
  await page.waitForSelector('[data-testid="learn-batch-128"]', { timeout: 120_000 });
  for (const b of [32, 64, 128]) assert.match(await page.textContent(`[data-testid="learn-batch-${b}"]`) ?? '', new RegExp(`^Batch ${b}: mean \\d`));
  await page.setViewportSize({ width: 1440, height: 1240 });
  await page.locator('[data-testid="learn-panel"]').evaluate((el) => el.closest('.side')!.scrollTo(0, 0));
  await page.screenshot({ path: 'docs/learn-activation.png' });
  assert.deepEqual(s.errors, []);
});
