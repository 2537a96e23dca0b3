// A 200-node graph in the editor: frame time while dragging a node, and the time shape
// inference takes after an edit. Prints the figures; asserts only that the graph is intact.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FORMAT, FORMAT_VERSION, documentSchema, type NetworkDocument } from '../../engine/graph/document.ts';
import { inferShapes } from '../../engine/graph/infer.ts';
import { center, shot, skipReason, start, type Session } from './helpers.ts';

if (skipReason) console.log(`# ${skipReason}`);

/** Input, 98 x (Conv2D, ReLU), global pool, Dense, Output: 200 layers in 10 columns of 20. */
export function bigNet(): NetworkDocument {
  const types: [string, Record<string, string | number>][] = [['Input', { height: 32, width: 32, color: 'rgb' }]];
  for (let i = 0; i < 98; i++) types.push(['Conv2D', { filters: 16, kernel: 3, padding: 'same' }], ['ReLU', {}]);
  types.push(['GlobalAvgPool', {}], ['Dense', { units: 10 }], ['Output', {}]);
  const nodes = types.map(([type, params], i) => ({ id: `n${i}`, type, params, position: { x: Math.floor(i / 20) * 240, y: (i % 20) * 90 } }));
  const edges = nodes.slice(1).map((n, i) => ({ id: `e${i}`, source: nodes[i].id, target: n.id, targetPort: 0 }));
  return documentSchema.parse({ format: FORMAT, version: FORMAT_VERSION, name: '200 layers', nodes, edges });
}

let s: Session;
before(async () => {
  if (!skipReason) s = await start();
});
after(async () => {
  await s?.close();
});

const stats = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  const q = (p: number) => v[Math.min(v.length - 1, Math.floor(p * v.length))];
  return { mean: v.reduce((a, b) => a + b, 0) / v.length, p50: q(0.5), p95: q(0.95), max: v[v.length - 1] };
};
const fmt = (o: Record<string, number>) => Object.entries(o).map(([k, v]) => `${k} ${v.toFixed(2)} ms`).join(', ');

test('200-node graph: frame time while dragging a node, shape inference after an edit', { skip: skipReason, timeout: 120000 }, async () => {
  const { page } = s;
  const doc = bigNet();
  assert.equal(doc.nodes.length, 200);
  assert.equal(inferShapes(doc).ok, true);
  await page.evaluate((d) => {
    const w = window as unknown as { __netwright: { store: { load(d: unknown, p: null): void }; flow: { fitView(): void } } };
    w.__netwright.store.load(d, null);
    requestAnimationFrame(() => w.__netwright.flow.fitView());
  }, doc);
  await page.waitForFunction(() => document.querySelectorAll('.react-flow__node').length === 200);
  await page.waitForTimeout(500);
  await shot(page, 'bench-200');

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
  const moved = await page.evaluate(() => (window as unknown as { __netwright: { store: { node(id: string): { position: { x: number } } } } }).__netwright.store.node('n50').position.x);
  assert.ok(moved > 240, `n50 was dragged (x = ${moved})`);

  // Edits through the inspector: each one re-runs shape inference over all 200 layers.
  await page.locator('.react-flow__node[data-id="n51"] .layer-head').click();
  const infer: number[] = [];
  for (const f of [8, 12, 20, 24, 32, 40, 48, 56, 64, 16]) {
    await page.fill('#param-filters', String(f));
    await page.waitForFunction((v) => (window as unknown as { __netwright: { store: { node(id: string): { params: { filters: number } } } } }).__netwright.store.node('n51').params.filters === v, f);
    infer.push(await page.evaluate(() => (window as unknown as { __netwright: { store: { lastAnalysisMs: number } } }).__netwright.store.lastAnalysisMs));
  }
  const node: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    inferShapes(doc);
    node.push(performance.now() - t0);
  }
  console.log(`# bench 200 nodes: frame interval while dragging (${intervals.length} frames): ${fmt(stats(intervals))}`);
  console.log(`# bench 200 nodes: shape inference after an edit, in the page (${infer.length} edits): ${fmt(stats(infer))}`);
  console.log(`# bench 200 nodes: shape inference in Node (20 runs): ${fmt(stats(node))}`);
  assert.equal(await page.locator('.react-flow__edge').count(), 199);
  await shot(page, 'bench-200-after');
});
