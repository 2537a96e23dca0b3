// A 200-layer graph in the editor: every node and wire drawn, a node dragged with the mouse, an
// inspector edit re-inferring the shapes. (The frame time while dragging and the time shape
// inference takes are measured by bench/editor-200.ts, not here.)
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { inferShapes } from '../../engine/graph/infer.ts';
import { chain200Doc } from '../fixtures/big-nets.ts';
import { center, shot, skipReason, start, type Session } from './helpers.ts';

if (skipReason) console.log(`# ${skipReason}`);

let s: Session;
before(async () => {
  if (!skipReason) s = await start();
});
after(async () => {
  await s?.close();
});

type Hook = { __netwright: { store: { load(d: unknown, p: null): void; node(id: string): { position: { x: number }; params: { filters: number } } }; flow: { fitView(): void } } };

test('200-layer graph: every node and wire drawn, a node dragged, an edit re-inferred', { skip: skipReason, timeout: 120000 }, async () => {
  const { page } = s;
  const doc = chain200Doc();
  assert.equal(doc.nodes.length, 200);
  assert.equal(inferShapes(doc).ok, true);
  await page.evaluate((d) => {
    const w = window as unknown as Hook;
    w.__netwright.store.load(d, null);
    requestAnimationFrame(() => w.__netwright.flow.fitView());
  }, doc);
  await page.waitForFunction(() => document.querySelectorAll('.react-flow__node').length === 200);
  await shot(page, 'big-graph-200');

  const from = await center(page, '.react-flow__node[data-id="n50"] .layer-head');
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(from.x + 2, from.y + 2);
  for (let i = 1; i <= 20; i++) await page.mouse.move(from.x + i * 12, from.y + i * 6);
  await page.mouse.up();
  const moved = await page.evaluate(() => (window as unknown as Hook).__netwright.store.node('n50').position.x);
  assert.ok(moved > 240, `n50 was dragged (x = ${moved})`);

  await page.locator('.react-flow__node[data-id="n51"] .layer-head').click();
  for (const f of [8, 24]) {
    await page.fill('#param-filters', String(f));
    await page.waitForFunction((v) => (window as unknown as Hook).__netwright.store.node('n51').params.filters === v, f);
  }
  assert.equal(await page.locator('.react-flow__edge').count(), 199);
  assert.deepEqual(s.errors, []);
});
