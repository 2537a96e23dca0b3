// A 100,000-step run as the page sees it: batches of step points into the train store and its
// live charts. The store must keep every point and the charts draw a downsampled copy. (The
// frame interval while the points arrive is measured by bench/long-run.ts, not here.)
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { shot, skipReason, start, type Session } from './helpers.ts';

let s: Session;
before(async () => {
  if (!skipReason) s = await start();
});
after(async () => {
  await s?.close();
});

test('a 100k-step run keeps every point and its chart draws from all of them', { skip: skipReason }, async () => {
  const { page } = s;
  await page.click('[data-view="train"]');
  const r = await page.evaluate(async () => {
    const w = window as unknown as { __netwright: { train: { handle(e: unknown): void; getState(): { series: { step: number[] } } } } };
    const train = w.__netwright.train;
    train.handle({ runId: 'long', event: { type: 'started', device: 'cpu', classNames: ['a', 'b'], trainCount: 6400, valCount: 0, stepsPerEpoch: 100, totalSteps: 100_000 } });
    let step = 0;
    // 1,000 batches of 100 points, a frame drawn every 10 batches (bench/long-run.ts times one per frame).
    for (let b = 0; b < 1000; b++) {
      const points = Array.from({ length: 100 }, () => {
        step++;
        return { step, epoch: Math.ceil(step / 100), loss: 2 / Math.sqrt(step) + 0.05 * Math.random(), accuracy: Math.min(1, step / 50_000), samplesPerSec: 5000, lr: 0.01 };
      });
      train.handle({ runId: 'long', event: { type: 'steps', points } });
      if (b % 10 === 9) await new Promise((res) => requestAnimationFrame(() => res(null)));
    }
    await new Promise((res) => setTimeout(res, 300));
    const chart = document.querySelector('[data-testid="chart-step-loss"]');
    const drawn = chart?.querySelector('canvas') ? (chart as HTMLElement).dataset.points : null;
    return { kept: train.getState().series.step.length, drawnFrom: drawn };
  });
  assert.equal(r.kept, 100_000);
  assert.equal(r.drawnFrom, '100000');
  await shot(page, 'long-run');
  assert.deepEqual(s.errors, []);
});

test('a diverged run is marked on the step-loss plot where it stopped', { skip: skipReason }, async () => {
  const { page } = s;
  await page.click('[data-view="train"]');
  await page.evaluate(() => {
    const train = (window as unknown as { __netwright: { train: { handle(e: unknown): void } } }).__netwright.train;
    train.handle({ runId: 'div', event: { type: 'started', device: 'cpu', classNames: ['a', 'b'], trainCount: 64, valCount: 0, stepsPerEpoch: 10, totalSteps: 100 } });
    const points = Array.from({ length: 30 }, (_, i) => ({ step: i + 1, epoch: 1, loss: 0.7 + (i > 25 ? (i - 25) * 40 : 0), accuracy: 0.5, samplesPerSec: 1000, lr: 10 }));
    train.handle({ runId: 'div', event: { type: 'steps', points } });
    train.handle({ runId: 'div', event: { type: 'diverged', step: 30, reason: 'loss-spike', value: 160.7, message: 'the loss jumped to 160.7', hint: 'lower the learning rate' } });
  });
  await page.waitForSelector('[data-testid="chart-step-loss"][data-marker="30"]');
  await shot(page, 'diverged');
  assert.deepEqual(s.errors, []);
});
