// A 100,000-step run as the page sees it, in Debian's chromium: 1,000 batches of 100 step points,
// one batch per animation frame (what ~30 updates/s of a fast run deliver, compressed), into the
// train store and its live charts. Prints the frame interval while they arrive (nothing asserted;
// test/e2e/long-run.test.ts checks every point is kept and charted).
//   node --import tsx bench/long-run.ts   (or npm run bench:editor)
import { skipReason, start } from '../test/e2e/helpers.ts';

if (skipReason) {
  console.log(skipReason);
  process.exit(0);
}
const s = await start();
try {
  const { page } = s;
  await page.click('[data-view="train"]');
  const r = await page.evaluate(async () => {
    const w = window as unknown as { __netwright: { train: { handle(e: unknown): void; getState(): { series: { step: number[] } } } } };
    const train = w.__netwright.train;
    train.handle({ runId: 'long', event: { type: 'started', device: 'cpu', classNames: ['a', 'b'], trainCount: 6400, valCount: 0, stepsPerEpoch: 100, totalSteps: 100_000 } });
    const frames: number[] = [];
    let last = performance.now();
    let step = 0;
    for (let b = 0; b < 1000; b++) {
      const points = Array.from({ length: 100 }, () => {
        step++;
        return { step, epoch: Math.ceil(step / 100), loss: 2 / Math.sqrt(step) + 0.05 * Math.random(), accuracy: Math.min(1, step / 50_000), samplesPerSec: 5000, lr: 0.01 };
      });
      train.handle({ runId: 'long', event: { type: 'steps', points } });
      await new Promise((res) => requestAnimationFrame(() => res(null)));
      const now = performance.now();
      frames.push(now - last);
      last = now;
    }
    frames.sort((a, b) => a - b);
    // (No named helpers in here: tsx would wrap them in a __name() the page does not have.)
    const n = frames.length;
    return { kept: train.getState().series.step.length, mean: frames.reduce((a, b) => a + b, 0) / n, p50: frames[Math.floor(0.5 * n)], p95: frames[Math.floor(0.95 * n)], max: frames[n - 1] };
  });
  console.log(`100k steps: ${r.kept} points kept; frame interval while they arrive: mean ${r.mean.toFixed(1)} ms, p50 ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms, max ${r.max.toFixed(1)} ms`);
} finally {
  await s.close();
}
