// The editor in a real Chromium against `netwright serve`: build LeNet-5 from an empty canvas
// with the mouse, check shapes, break and fix a layer, undo/redo, save, reload, reopen.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parseDocument } from '../../engine/graph/document.ts';
import { inferShapes } from '../../engine/graph/infer.ts';
import { center, drag, dropLayer, shot, skipReason, start, type Session } from './helpers.ts';

if (skipReason) console.log(`# ${skipReason}`);

let s: Session;
before(async () => {
  if (!skipReason) s = await start();
});
after(async () => {
  await s?.close();
});

type Step = [type: string, params?: Record<string, string>];
const LENET: Step[] = [
  ['Input'],
  ['Conv2D', { filters: '6', kernel: '5', padding: 'explicit', pad: '2' }],
  ['ReLU'],
  ['MaxPool2D'],
  ['Conv2D', { filters: '16', kernel: '5', padding: 'valid' }],
  ['ReLU'],
  ['MaxPool2D'],
  ['Flatten'],
  ['Dense', { units: '120' }],
  ['ReLU'],
  ['Dense', { units: '84' }],
  ['ReLU'],
  ['Dense', { units: '10' }],
  ['Output'],
];

const node = (id: string) => `.react-flow__node[data-id="${id}"]`;
const blur = () => s.page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
const docOf = () => s.page.evaluate(() => (window as unknown as { __netwright: { store: { doc: unknown } } }).__netwright.store.doc);

test('build LeNet-5 from an empty canvas with the mouse; edges show their shapes', { skip: skipReason, timeout: 120000 }, async () => {
  const { page } = s;
  const pane = (await page.locator('.react-flow__pane').boundingBox())!;
  const ids: string[] = [];
  for (const [i, [type, params]] of LENET.entries()) {
    const col = Math.floor(i / 4);
    const row = i % 4;
    const drop = { x: pane.x + 40 + col * 235 + 90, y: pane.y + 30 + row * 125 + 25 };
    const id = await dropLayer(page, type, drop);
    ids.push(id);
    for (const [k, v] of Object.entries(params ?? {})) {
      if (k === 'padding') await page.selectOption(`#param-${k}`, v);
      else await page.fill(`#param-${k}`, v);
    }
    if (i > 0) {
      await drag(page, await center(page, `${node(ids[i - 1])} .react-flow__handle.source`), await center(page, `${node(id)} .react-flow__handle.target`));
      await page.waitForFunction((n) => document.querySelectorAll('.react-flow__edge').length === n, i, { timeout: 5000 }).catch(async (e) => {
        await shot(page, `failed-wire-${i}`);
        throw e;
      });
    }
  }
  await blur();
  const labels = await page.locator('.react-flow__edge-text').allTextContents();
  for (const want of ['N x 1 x 28 x 28', 'N x 6 x 28 x 28', 'N x 6 x 14 x 14', 'N x 16 x 10 x 10', 'N x 16 x 5 x 5', 'N x 400', 'N x 120', 'N x 84', 'N x 10']) {
    assert.ok(labels.includes(want), `an edge labelled ${want} (have ${labels.join(', ')})`);
  }
  assert.equal(await page.locator('[data-testid="total-params"]').textContent(), '61,706');
  assert.equal(await page.locator('[data-testid="problem-count"]').textContent(), 'ready to train');
  assert.equal(await page.locator('.badge').count(), 0);
  await shot(page, 'lenet-built');

  // A wire that would close a cycle is refused while dragging.
  const [, conv1, , , conv2, , pool2] = ids;
  await drag(page, await center(page, `${node(pool2)} .react-flow__handle.source`), await center(page, `${node(conv2)} .react-flow__handle.target`));
  assert.equal(await page.locator('.react-flow__edge').count(), 13);
  assert.match((await page.locator('.st-msg').textContent()) ?? '', /Not connected: .*(connected twice|cycle)/);

  // A kernel too large for the 14x14 input: the node gets a badge with the one-click fix.
  await page.locator(`${node(conv2)} .layer-head`).click();
  await page.fill('#param-kernel', '31');
  const badge = page.locator(`${node(conv2)} .badge-error`);
  await badge.waitFor();
  assert.match((await badge.textContent())!, /kernel 31x31: window 31 is larger than the input \(14\) 14x14/);
  await shot(page, 'lenet-bad-kernel');
  await badge.locator('button.fix').click();
  await badge.waitFor({ state: 'detached' });
  assert.equal(await page.inputValue('#param-padding'), 'same');
  assert.ok((await page.locator('.react-flow__edge-text').allTextContents()).includes('N x 16 x 14 x 14'));

  // Undo brings the problem back, redo fixes it again; two more undos restore LeNet-5.
  await blur();
  await page.keyboard.press('Control+z');
  await badge.waitFor();
  await page.keyboard.press('Control+Shift+z');
  await badge.waitFor({ state: 'detached' });
  await page.keyboard.press('Control+z');
  await page.locator('button', { hasText: 'Undo' }).click();
  await page.waitForFunction(() => document.querySelector('[data-testid="total-params"]')?.textContent === '61,706');
  assert.equal(await page.inputValue('#param-kernel'), '5');
  assert.equal(await page.inputValue('#param-padding'), 'valid');
  assert.ok(conv1);
});

test('save, reload the page, reopen from recent files: the same graph', { skip: skipReason, timeout: 60000 }, async () => {
  const { page } = s;
  await page.keyboard.press('Escape');
  await page.fill('.inspector input', 'LeNet-5');
  const before = await docOf();
  assert.equal(await page.locator('.doc-title .dirty').count(), 1);
  await blur();
  await page.keyboard.press('Control+s');
  assert.equal(await page.inputValue('input[name="filename"]'), 'lenet-5.json');
  await page.fill('input[name="filename"]', 'lenet-e2e.json');
  await page.locator('.modal button.primary', { hasText: 'Save' }).click();
  await page.locator('.st-msg', { hasText: 'Saved' }).waitFor();
  assert.equal(await page.locator('.doc-title .dirty').count(), 0);
  const file = path.join(s.root, 'lenet-e2e.json');
  const r = parseDocument(fs.readFileSync(file, 'utf8'));
  assert.ok(r.ok);
  assert.equal(inferShapes(r.doc).totals.params, 61706);

  await page.reload();
  await page.waitForSelector('.react-flow__pane');
  assert.equal(await page.locator('.react-flow__node').count(), 0);
  await page.keyboard.press('Control+o');
  await page.locator('.recent-entry', { hasText: 'lenet-e2e.json' }).click();
  await page.waitForFunction(() => document.querySelectorAll('.react-flow__node').length === 14);
  assert.deepEqual(await docOf(), before);
  assert.equal(await page.locator('.react-flow__edge').count(), 13);
  assert.equal(await page.locator('[data-testid="total-params"]').textContent(), '61,706');
  assert.equal(await page.locator('.doc-title .dirty').count(), 0);
  await shot(page, 'lenet-reopened');
  await page.locator(`.react-flow__node[data-id="conv2d1"] .layer-head`).click();
  await shot(page, 'editor'); // docs/editor.png is a copy of this one
  assert.deepEqual(s.errors, []);
});
