// Blocks in the editor: a resnet18-shaped document (70 layers, test/fixtures/big-nets.ts) opens
// with its 8 basic blocks collapsed, lays out, expands by double-click, collapses from the
// frame's button, groups a selection with Ctrl+G, undoes; no page errors. Then torchvision's
// resnet18, exported by PyTorch and imported (`netwright import`), opened with `serve --doc`:
// collapsed, no two canvas nodes overlapping; its screenshot
// (test-artifacts/resnet18-imported.png) is docs/resnet18-collapsed.png. Figures (time of an
// interaction, frame rate while panning) are measured by bench/editor-blocks.ts, not here.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { withRecognizedBlocks } from '../../engine/graph/blocks.ts';
import { mobilenetV2Doc, resnet18Doc } from '../fixtures/big-nets.ts';
import path from 'node:path';
import { importOnnxFile } from '../../engine/session/onnx-import.ts';
import { torchModels, torchSkip } from '../onnx/import-helpers.ts';
import { skipReason, shot, start, type Session } from './helpers.ts';

if (skipReason) console.log(`# ${skipReason}`);

let s: Session;
before(async () => {
  if (!skipReason) s = await start();
});
after(async () => {
  await s?.close();
});

type W = { __netwright: { store: { load(d: unknown, p: null): void; doc: { blocks?: { name: string; collapsed: boolean; nodes: string[] }[]; nodes: { id: string }[] }; select(x: unknown): void }; flow: { fitView(o?: unknown): void } } };
const count = (sel: string) => s.page.locator(sel).count();
const waitCount = (sel: string, n: number) => s.page.waitForFunction(([q, k]) => document.querySelectorAll(q as string).length === k, [sel, n] as const, { timeout: 10000 });
const blocks = () => s.page.evaluate(() => (window as unknown as W).__netwright.store.doc.blocks ?? []);

test('resnet18 opens with its blocks collapsed; expand, collapse, group and undo work', { skip: skipReason, timeout: 120000 }, async () => {
  const { page } = s;
  const doc = withRecognizedBlocks(resnet18Doc());
  await page.evaluate((d) => (window as unknown as W).__netwright.store.load(d, null), doc);
  await waitCount('.react-flow__node-block', 8);
  // Auto-layout of the collapsed graph, then fit.
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('l');
  await page.waitForFunction(() => document.querySelector('.doc-title .dirty') !== null);
  await page.waitForTimeout(600);
  assert.equal(await count('.react-flow__node-layer'), 8, 'stem 5 + head 3 layers');
  assert.equal(await count('.react-flow__edge'), 15);
  const b0 = page.locator('[data-testid="block-layer1.0"]');
  assert.match((await b0.textContent())!, /layer1\.0.*73,984 p.*7 layers.*Conv ×2, BN ×2, ReLU ×2, Add.*64×56×56 → 64×56×56/);
  assert.match((await page.locator('[data-testid="block-layer2.0"]').textContent())!, /9 layers.*64×56×56 → 128×28×28/);
  // Every edge into a block carries the shape arriving there.
  const labels = await page.locator('.react-flow__edge-text').allTextContents();
  for (const want of ['N x 64 x 56 x 56', 'N x 128 x 28 x 28', 'N x 256 x 14 x 14', 'N x 512 x 7 x 7', 'N x 512', 'N x 10']) assert.ok(labels.includes(want), `${want} in ${labels.join(', ')}`);
  // The picture for the README: a taller window without the summary table.
  await page.keyboard.press('m');
  await page.setViewportSize({ width: 1440, height: 1500 });
  await page.waitForTimeout(300);
  await page.evaluate(() => (window as unknown as W).__netwright.flow.fitView({ padding: 0.04 }));
  await page.waitForTimeout(500);
  await shot(page, 'resnet18-collapsed');
  await page.setViewportSize({ width: 1440, height: 960 });
  await page.keyboard.press('m');
  await page.evaluate(() => (window as unknown as W).__netwright.flow.fitView({ padding: 0.08 }));
  await page.waitForTimeout(300);

  // Double-click expands: its 7 layers and a frame with the block's name.
  await page.locator('[data-testid="block-layer1.1"] .block-kinds').dblclick();
  await waitCount('.react-flow__node-layer', 15);
  assert.equal(await count('.react-flow__node-block'), 7);
  assert.equal(await count('[data-testid="frame-layer1.1"]'), 1);
  assert.equal(await count('.react-flow__edge'), 15 - 2 + 2 + 6 + 1);
  assert.equal((await blocks()).find((b) => b.name === 'layer1.1')!.collapsed, false);
  await shot(page, 'resnet18-expanded');
  // The frame's button collapses it again.
  await page.locator('[data-testid="frame-layer1.1"] .block-toggle').click();
  await waitCount('.react-flow__node-block', 8);
  assert.equal(await count('.react-flow__node-layer'), 8);
  // The ⤢ button expands too; B collapses the selected block.
  await page.locator('[data-testid="block-layer4.1"] .block-toggle').click();
  await waitCount('.react-flow__node-block', 7);
  await page.evaluate(() => (window as unknown as W).__netwright.store.select({ nodes: ['layer4.1.conv1'], edges: [] }));
  await page.keyboard.press('b');
  await waitCount('.react-flow__node-block', 8);

  // Ctrl+G groups the selected stem layers into a new block; Ctrl+Z ungroups again.
  await page.evaluate(() => (window as unknown as W).__netwright.store.select({ nodes: ['conv1', 'bn1', 'relu', 'maxpool'], edges: [] }));
  await page.keyboard.press('Control+g');
  await waitCount('.react-flow__node-block', 9);
  assert.equal(await count('.react-flow__node-layer'), 4);
  assert.equal(await count('[data-testid="block-Block 1"].selected'), 1, 'the new block is selected');
  assert.deepEqual((await blocks()).at(-1), { id: 'block9', name: 'Block 1', nodes: ['conv1', 'bn1', 'relu', 'maxpool'], collapsed: true });
  // Selecting a collapsed block on the canvas selects its layers: Ctrl+Shift+G ungroups it.
  await page.locator('[data-testid="block-Block 1"] .block-name').click();
  await page.keyboard.press('Control+Shift+g');
  await waitCount('.react-flow__node-block', 8);
  await page.keyboard.press('Control+z');
  await waitCount('.react-flow__node-block', 9);
  await page.keyboard.press('Control+z');
  await waitCount('.react-flow__node-block', 8);
  assert.equal((await blocks()).length, 8);
  // Dragging a collapsed block moves its layers with it.
  const before = await page.evaluate(() => (window as unknown as W).__netwright.store.doc.nodes.find((n) => n.id === 'layer3.0.add') as unknown as { position: { x: number; y: number } });
  const box = (await page.locator('[data-testid="block-layer3.0"] .block-shapes').boundingBox())!;
  await page.mouse.move(box.x + 20, box.y + 5);
  await page.mouse.down();
  await page.mouse.move(box.x + 22, box.y + 7);
  await page.mouse.move(box.x + 120, box.y + 5, { steps: 8 });
  await page.mouse.up();
  const afterDrag = await page.evaluate(() => (window as unknown as W).__netwright.store.doc.nodes.find((n) => n.id === 'layer3.0.add') as unknown as { position: { x: number; y: number } });
  assert.ok(afterDrag.position.x > before.position.x + 30, `${JSON.stringify(before)} -> ${JSON.stringify(afterDrag)}`);
  // The help lists the block shortcuts.
  await page.keyboard.press('?');
  assert.match((await page.locator('table.shortcuts').textContent())!, /Ctrl\+G.*Group into a block/);
  await page.keyboard.press('Escape');
  assert.deepEqual(s.errors, []);
});

/** Canvas nodes whose boxes on screen overlap (frames excepted). */
const overlapping = (page: Session['page']) =>
  page.evaluate(() => {
    const r = [...document.querySelectorAll('.react-flow__node:not(.react-flow__node-blockFrame)')].map((e) => [e.getAttribute('data-id'), e.getBoundingClientRect()] as const);
    const out: string[] = [];
    for (let i = 0; i < r.length; i++)
      for (let j = i + 1; j < r.length; j++) {
        const [a, p] = r[i];
        const [b, q] = r[j];
        if (p.left < q.right && q.left < p.right && p.top < q.bottom && q.top < p.bottom) out.push(`${a} / ${b}`);
      }
    return out;
  });

test('an imported resnet18 (PyTorch export) opens with 8 collapsed blocks, nothing overlapping; expands without overlaps', { skip: skipReason || torchSkip, timeout: 180000 }, async () => {
  const file = torchModels(['resnet18:17'])['resnet18:17'];
  const t = await start({
    serveArgs: (root) => {
      const doc = path.join(root, 'resnet18.json');
      importOnnxFile(file, doc, { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
      return ['--doc', doc];
    },
  });
  try {
    const { page } = t;
    await page.waitForFunction(() => document.querySelectorAll('.react-flow__node-block').length === 8, undefined, { timeout: 20000 });
    assert.equal(await page.locator('.react-flow__node-layer').count(), 8);
    const names = await page.locator('.react-flow__node-block .block-name').allTextContents();
    assert.deepEqual(names, ['layer1.0', 'layer1.1', 'layer2.0', 'layer2.1', 'layer3.0', 'layer3.1', 'layer4.0', 'layer4.1']);
    assert.match((await page.locator('[data-testid="block-layer4.0"]').textContent())!, /9 layers.*256×14×14 → 512×7×7/);
    assert.match((await page.locator('[data-testid="total-params"]').textContent()) ?? '', /11,181,642/);
    await page.waitForTimeout(500);
    assert.deepEqual(await overlapping(page), []);
    // The README's picture: a taller window, the summary table hidden.
    await page.keyboard.press('m');
    await page.setViewportSize({ width: 1440, height: 1500 });
    await page.waitForTimeout(300);
    await page.evaluate(() => (window as unknown as W).__netwright.flow.fitView({ padding: 0.04 }));
    await page.waitForTimeout(500);
    await shot(page, 'resnet18-imported');
    // Expanding a block makes room below it.
    await page.locator('[data-testid="block-layer2.0"] .block-kinds').dblclick();
    await page.waitForFunction(() => document.querySelectorAll('.react-flow__node-layer').length === 17);
    await page.waitForTimeout(300);
    assert.deepEqual(await overlapping(page), []);
    await shot(page, 'resnet18-imported-expanded');
    assert.deepEqual(t.errors, []);
  } finally {
    await t.close();
  }
});

test('auto-layout in the editor: 154 layers (mobilenet_v2-shaped, piled on one spot) end up with no two overlapping', { skip: skipReason, timeout: 120000 }, async () => {
  const { page } = s;
  const doc = mobilenetV2Doc();
  const piled = { ...doc, nodes: doc.nodes.map((n) => ({ ...n, position: { x: 0, y: 0 } })) };
  await page.evaluate((d) => (window as unknown as W).__netwright.store.load(d, null), piled);
  await waitCount('.react-flow__node-layer', 154);
  await page.waitForTimeout(300);
  assert.ok((await overlapping(page)).length > 1000, 'piled up before the layout');
  await page.locator('button', { hasText: 'Layout' }).click();
  await page.waitForFunction(() => document.querySelector('.doc-title .dirty') !== null, undefined, { timeout: 30000 });
  await page.waitForTimeout(800);
  assert.deepEqual(await overlapping(page), []);
  await shot(page, 'mobilenet-layout');
  assert.deepEqual(s.errors, []);
});
