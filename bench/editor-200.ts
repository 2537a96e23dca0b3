// A 200-layer graph (test/fixtures/big-nets.ts chain200Doc) in the editor in Debian's chromium:
// the frame interval while dragging a node, the time shape inference takes after an inspector
// edit (in the page), and shape inference alone in Node. Prints the figures (nothing asserted;
// test/e2e/big-graph.test.ts checks the same steps work).
//   node --import tsx bench/editor-200.ts   (or npm run bench:editor)
import { inferShapes } from '../engine/graph/infer.ts';
import { chain200Doc } from '../test/fixtures/big-nets.ts';
import { center, skipReason, start } from '../test/e2e/helpers.ts';

if (skipReason) {
  console.log(skipReason);
  process.exit(0);
}
type Hook = { __netwright: { store: { load(d: unknown, p: null): void; lastAnalysisMs: number; node(id: string): { params: { filters: number } } }; flow: { fitView(): void } } };

const stats = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  const q = (p: number) => v[Math.min(v.length - 1, Math.floor(p * v.length))];
  const o = { mean: v.reduce((a, b) => a + b, 0) / v.length, p50: q(0.5), p95: q(0.95), max: v[v.length - 1] };
  return Object.entries(o).map(([k, x]) => `${k} ${x.toFixed(2)} ms`).join(', ');
};

const s = await start();
try {
  const { page } = s;
  const doc = chain200Doc();
  await page.evaluate((d) => {
    const w = window as unknown as Hook;
    w.__netwright.store.load(d, null);
    requestAnimationFrame(() => w.__netwright.flow.fitView());
  }, doc);
  await page.waitForFunction(() => document.querySelectorAll('.react-flow__node').length === 200);
  await page.waitForTimeout(500);

  // Drag node n50 across the canvas with 60 mouse moves while recording every frame's time.
  // (a string: tsx would wrap a named function in a __name helper the page lacks)
  await page.evaluate(`window.frames = []; window.recording = true;
    requestAnimationFrame(function tick(t) { window.frames.push(t); if (window.recording) requestAnimationFrame(tick); });`);
  const from = await center(page, '.react-flow__node[data-id="n50"] .layer-head');
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(from.x + 2, from.y + 2);
  for (let i = 1; i <= 60; i++) await page.mouse.move(from.x + i * 4, from.y + i * 2);
  await page.mouse.up();
  const frames = (await page.evaluate('window.recording = false; window.frames')) as number[];
  const intervals = frames.slice(1).map((t, i) => t - frames[i]);

  // Edits through the inspector: each one re-runs shape inference over all 200 layers.
  await page.locator('.react-flow__node[data-id="n51"] .layer-head').click();
  const infer: number[] = [];
  for (const f of [8, 12, 20, 24, 32, 40, 48, 56, 64, 16]) {
    await page.fill('#param-filters', String(f));
    await page.waitForFunction((v) => (window as unknown as Hook).__netwright.store.node('n51').params.filters === v, f);
    infer.push(await page.evaluate(() => (window as unknown as Hook).__netwright.store.lastAnalysisMs));
  }
  const node: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    inferShapes(doc);
    node.push(performance.now() - t0);
  }
  console.log(`200 layers: frame interval while dragging (${intervals.length} frames): ${stats(intervals)}`);
  console.log(`200 layers: shape inference after an edit, in the page (${infer.length} edits): ${stats(infer)}`);
  console.log(`200 layers: shape inference in Node (20 runs): ${stats(node)}`);
} finally {
  await s.close();
}
