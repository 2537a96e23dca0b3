// The editor with a resnet18-shaped document (70 layers, test/fixtures/big-nets.ts) in Debian's
// chromium: how long a click-select, a collapse, an expand and an edit take to show on screen,
// and the frame interval while dragging a node and while panning, with the 8 basic blocks
// collapsed and with all of them expanded. Prints the figures (nothing asserted).
//   node --import tsx bench/editor-blocks.ts [repeats=10]
import { withRecognizedBlocks } from '../engine/graph/blocks.ts';
import { resnet18Doc } from '../test/fixtures/big-nets.ts';
import { center, skipReason, start } from '../test/e2e/helpers.ts';

if (skipReason) {
  console.log(skipReason);
  process.exit(0);
}
const repeats = Number(process.argv[2] ?? 10);
const s = await start();
const { page } = s;

const stats = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  const q = (p: number) => v[Math.min(v.length - 1, Math.floor(p * v.length))];
  return `median ${q(0.5).toFixed(1)} ms, p95 ${q(0.95).toFixed(1)} ms, max ${v[v.length - 1].toFixed(1)} ms (${v.length})`;
};
const fps = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return `${(1000 / mean).toFixed(0)} fps (frame interval mean ${mean.toFixed(1)} ms, p95 ${v[Math.floor(0.95 * v.length)].toFixed(1)} ms, ${xs.length} frames)`;
};

// In the page: run an action, wait until the DOM says it happened and two frames were drawn.
// (strings: tsx would wrap named functions in a __name helper the page lacks)
await page.evaluate(`window.__timed = async (action, done) => {
  const t0 = performance.now();
  action();
  while (!done()) await new Promise((r) => requestAnimationFrame(r));
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  return performance.now() - t0;
}`);
const timed = (action: string, done: string) => page.evaluate(`window.__timed(() => { ${action} }, () => ${done})`) as Promise<number>;

async function frames(move: () => Promise<void>): Promise<number[]> {
  await page.evaluate(`window.__frames = []; window.__rec = true;
    requestAnimationFrame(function tick(t) { window.__frames.push(t); if (window.__rec) requestAnimationFrame(tick); });`);
  await move();
  const f = (await page.evaluate('window.__rec = false; window.__frames')) as number[];
  return f.slice(1).map((t, i) => t - f[i]);
}

async function pan(): Promise<number[]> {
  const box = (await page.locator('.react-flow__pane').boundingBox())!;
  // An empty spot of the pane: the left edge, below the controls' height.
  const from = { x: box.x + 30, y: box.y + 40 };
  return frames(async () => {
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    for (let i = 1; i <= 60; i++) await page.mouse.move(from.x + i * 5, from.y + (i % 20) * 6);
    await page.mouse.up();
  });
}

async function dragNode(selector: string): Promise<number[]> {
  const from = await center(page, selector);
  return frames(async () => {
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(from.x + 2, from.y + 2);
    for (let i = 1; i <= 40; i++) await page.mouse.move(from.x + i * 3, from.y + i);
    await page.mouse.up();
  });
}

const doc = withRecognizedBlocks(resnet18Doc(), { compact: true });
await page.evaluate((d) => {
  const w = window as unknown as { __netwright: { store: { load(d: unknown, p: null): void }; flow: { fitView(): void } } };
  w.__netwright.store.load(d, null);
}, doc);
await page.waitForFunction(() => document.querySelectorAll('.react-flow__node-block').length === 8);
await page.evaluate(() => (window as unknown as { __netwright: { flow: { fitView(o: unknown): void } } }).__netwright.flow.fitView({ maxZoom: 1 }));
await page.waitForTimeout(500);

const S = '(window.__netwright.store)';
const blocks = doc.blocks!;
for (const mode of ['collapsed', 'expanded'] as const) {
  if (mode === 'expanded') {
    await timed(`for (const b of ${S}.doc.blocks) ${S}.setBlockCollapsed(b.id, false)`, `document.querySelectorAll('.react-flow__node-layer').length === 70`);
    await page.waitForTimeout(500);
  }
  const select: number[] = [];
  const ids = ['conv1', 'maxpool', 'fc', 'avgpool'];
  for (let i = 0; i < repeats; i++) {
    const id = ids[i % ids.length];
    select.push(await timed(`${S}.select({ nodes: ['${id}'], edges: [] })`, `!!document.querySelector('.react-flow__node[data-id="${id}"].selected')`));
  }
  const edit: number[] = [];
  for (let i = 0; i < repeats; i++) edit.push(await timed(`${S}.setParam('fc', 'units', ${11 + i})`, `(document.querySelector('[data-id="fc"] .layer-summary')?.textContent ?? '').startsWith('${11 + i} ')`));
  await timed(`${S}.setParam('fc', 'units', 10)`, 'true');
  const drag = await dragNode('.react-flow__node[data-id="fc"] .layer-head');
  const panned = await pan();
  console.log(`resnet18, blocks ${mode}: ${await page.locator('.react-flow__node').count()} canvas nodes, ${await page.locator('.react-flow__edge').count()} edges`);
  console.log(`  select a layer:   ${stats(select)}`);
  console.log(`  edit a param:     ${stats(edit)}`);
  console.log(`  drag a layer:     ${fps(drag)}`);
  console.log(`  pan:              ${fps(panned)}`);
}
// Collapse and expand one block at a time (the others expanded, then the others collapsed).
const collapse: number[] = [];
const expand: number[] = [];
for (let i = 0; i < repeats; i++) {
  const b = blocks[i % blocks.length];
  collapse.push(await timed(`${S}.setBlockCollapsed('${b.id}', true)`, `!!document.querySelector('[data-testid="block-${b.name}"]')`));
  expand.push(await timed(`${S}.setBlockCollapsed('${b.id}', false)`, `!document.querySelector('[data-testid="block-${b.name}"]')`));
}
console.log(`  collapse a block: ${stats(collapse)}`);
console.log(`  expand a block:   ${stats(expand)}`);
console.log(`page errors: ${s.errors.length ? s.errors.join('; ') : 'none'}`);
await s.close();
