// What a new user ran into (issue 16), in Chromium against `netwright serve` with the sample
// project: each test fails if its problem comes back. Screenshots go to test-artifacts/.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { writeSampleDataset } from '../../engine/data/sample.ts';
import { sampleData } from '../fixtures/sample.ts';
import { center, drag, fillFolderPath, shot, skipReason, start, type Session } from './helpers.ts';

if (skipReason) console.log(`# ${skipReason}`);

let s: Session;
let data: string;
before(async () => {
  if (skipReason) return;
  data = sampleData(24);
  s = await start({
    serveArgs: (root) => {
      fs.copyFileSync('examples/sample-shapes.json', path.join(root, 'sample-shapes.json'));
      fs.copyFileSync('examples/lenet5.json', path.join(root, 'lenet5.json'));
      // Datasets inside the project: a 4-class copy, 3 classes, one class, class folders without images, and a symlink.
      writeSampleDataset(path.join(root, 'mydata'), 24, 3);
      writeSampleDataset(path.join(root, 'three'), 10, 4);
      fs.rmSync(path.join(root, 'three', 'triangle'), { recursive: true });
      fs.mkdirSync(path.join(root, 'oneclass'));
      fs.cpSync(path.join(root, 'three', 'circle'), path.join(root, 'oneclass', 'circle'), { recursive: true });
      for (const c of ['a', 'b']) (fs.mkdirSync(path.join(root, 'noimages', c), { recursive: true }), fs.writeFileSync(path.join(root, 'noimages', c, 'notes.txt'), 'no image'));
      fs.mkdirSync(path.join(root, 'sets'));
      fs.symlinkSync(path.join(root, 'three'), path.join(root, 'sets', 'linked-three'));
      return ['--doc', path.join(root, 'sample-shapes.json'), '--data', data, '--threads', '1'];
    },
  });
});
after(async () => {
  await s?.close();
  if (data) fs.rmSync(data, { recursive: true, force: true });
});

type W = {
  __netwright: {
    store: { doc: { nodes: { id: string; position: { x: number; y: number } }[]; edges: unknown[]; name: string }; getState(): { selection: { nodes: string[] }; dirty: boolean }; analysis(): { ok: boolean } };
    train: { getState(): { runState: string; series: { step: number[] }; done: unknown; epochs: unknown[]; dataDir: string | null; runId: string | null } };
    flow: { getViewport(): { zoom: number } };
  };
};
const docOf = () => s.page.evaluate(() => (window as unknown as W).__netwright.store.doc);
const rootLength = () => s.page.evaluate(() => document.getElementById('root')?.innerHTML.length ?? 0);
const node = (id: string) => `.react-flow__node[data-id="${id}"]`;
const waitNodes = (n: number) => s.page.waitForFunction((k) => document.querySelectorAll('.react-flow__node').length === k, n, { timeout: 20_000 });
/** After a reload with unsaved changes the backup is offered: take it. */
async function reloadKeepingChanges(): Promise<void> {
  await s.page.reload();
  await s.page.waitForSelector('.react-flow__pane');
  await s.page.locator('.modal button.primary', { hasText: 'Restore' }).click({ timeout: 3000 }).catch(() => undefined);
}
const errorsNow = () => s.errors.filter((e) => !/Failed to load resource/.test(e));

test('select a layer (click, Ctrl+click, Shift-drag, Ctrl+A), Train tab, Design: the editor is back, no React error', { skip: skipReason, timeout: 90_000 }, async () => {
  const { page } = s;
  await waitNodes(12);
  const selectors: [string, () => Promise<void>][] = [
    ['click', () => page.locator(`${node('conv1')} .layer-head`).click()],
    ['ctrl+click', async () => {
      await page.locator(`${node('conv1')} .layer-head`).click();
      await page.locator(`${node('relu1')} .layer-head`).click({ modifiers: ['Control'] });
    }],
    ['shift-drag', async () => {
      const a = (await page.locator(node('conv1')).boundingBox())!;
      const b = (await page.locator(node('pool1')).boundingBox())!;
      await page.keyboard.down('Shift');
      await drag(page, { x: a.x - 30, y: a.y - 10 }, { x: b.x + b.width + 30, y: b.y + b.height + 10 }, 10);
      await page.keyboard.up('Shift');
    }],
    ['ctrl+a', async () => {
      await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
      await page.keyboard.press('Control+a');
    }],
  ];
  for (const [how, select] of selectors) {
    await select();
    const selected = await page.evaluate(() => (window as unknown as W).__netwright.store.getState().selection.nodes.length);
    assert.ok(selected >= 1, `${how}: a selection`);
    await page.click('[data-view="train"]');
    await page.waitForSelector('[data-testid="train-view"]');
    await page.click('[data-view="design"]');
    await page.waitForSelector('.react-flow__pane');
    await page.waitForTimeout(300);
    assert.ok((await rootLength()) > 1000, `${how}: #root is not empty`);
    assert.equal(await page.locator('.react-flow__node').count(), 12, `${how}: the canvas is back`);
    assert.equal(await page.locator('.react-flow__node.selected').count(), selected, `${how}: the selection is kept`);
    assert.deepEqual(errorsNow(), [], how);
  }
  await page.keyboard.press('Escape');
});

test('a render error shows what happened and a reload that keeps the unsaved work', { skip: skipReason, timeout: 90_000 }, async () => {
  const { page } = s;
  await page.fill('.inspector input', 'Shapes, renamed before the crash');
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.click('[data-view="train"]');
  await page.waitForSelector('[data-testid="train-view"]');
  // A broken store value makes the Train view throw while rendering.
  await page.evaluate(() => (window as unknown as { __netwright: { train: { set(p: unknown): void } } }).__netwright.train.set({ epochs: null }));
  await page.waitForSelector('[data-testid="view-error"]');
  assert.ok((await rootLength()) > 200, 'no white page');
  assert.match((await page.textContent('[data-testid="view-error"]')) ?? '', /Train view stopped with an error/);
  assert.equal(await page.locator('.toolbar').count(), 1, 'the toolbar stays');
  await shot(page, 'view-error');
  s.errors.length = 0; // React reports the caught error on the console; that one is expected here
  await page.click('[data-testid="view-reload"]');
  await page.waitForSelector('.react-flow__pane');
  await page.waitForFunction(() => (window as unknown as W).__netwright?.store.doc.name === 'Shapes, renamed before the crash', undefined, { timeout: 20_000 });
  await waitNodes(12);
  assert.equal(await page.locator('.modal').count(), 0, 'restored without asking');
  assert.equal(await page.evaluate(() => (window as unknown as W).__netwright.store.getState().dirty), true, 'still unsaved, so still backed up');
  assert.deepEqual(errorsNow(), []);
  await page.keyboard.press('Control+s');
  await page.locator('.st-msg', { hasText: 'Saved' }).waitFor();
});

test('double-click insert with a layer selected goes between it and its successor, one undo step', { skip: skipReason, timeout: 60_000 }, async () => {
  const { page } = s;
  const before = await docOf();
  await page.locator(`${node('conv1')} .layer-head`).click();
  await page.dblclick('[data-layer="BatchNorm"]');
  await waitNodes(13);
  const after = await docOf();
  assert.equal(after.edges.length, before.edges.length + 1, 'a chain: one more connection, not a dangling branch');
  assert.equal(await page.evaluate(() => (window as unknown as W).__netwright.store.analysis().ok), true);
  assert.equal(await page.textContent('[data-testid="problem-count"]'), 'ready to train');
  // Nothing covers anything: every node box is apart.
  const boxes = await page.locator('.react-flow__node').evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).map((r) => ({ x: r.x, y: r.y, w: r.width, h: r.height })));
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const [a, b] = [boxes[i], boxes[j]];
    assert.ok(a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y, `nodes ${i} and ${j} overlap`);
  }
  await shot(page, 'insert-between');
  await page.keyboard.press('Control+z');
  await waitNodes(12);
  assert.deepEqual(await docOf(), before);
});

test('Ctrl+D and paste put copies in free space: nothing covers another node', { skip: skipReason, timeout: 60_000 }, async () => {
  const { page } = s;
  await page.locator(`${node('conv2')} .layer-head`).click();
  await page.keyboard.press('Control+d');
  await waitNodes(13);
  await page.keyboard.press('Control+c');
  await page.keyboard.press('Control+v');
  await waitNodes(14);
  const boxes = await page.locator('.react-flow__node').evaluateAll((els) => els.map((e) => ({ id: e.getAttribute('data-id'), r: e.getBoundingClientRect() })).map(({ id, r }) => ({ id, x: r.x, y: r.y, w: r.width, h: r.height })));
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const [a, b] = [boxes[i], boxes[j]];
    assert.ok(a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y, `${a.id} and ${b.id} overlap`);
  }
  await shot(page, 'duplicate-free-space');
  // The copy's "not connected" badge does not take a click meant for conv2.
  const c = await center(page, `${node('conv2')} .layer-head`);
  await page.mouse.click(c.x, c.y);
  assert.deepEqual(await page.evaluate(() => (window as unknown as W).__netwright.store.getState().selection.nodes), ['conv2']);
  await page.keyboard.press('Control+z');
  await page.keyboard.press('Control+z');
  await waitNodes(12);
});

test('a refused wire says why while hovering the target; the message goes once a wire succeeds', { skip: skipReason, timeout: 60_000 }, async () => {
  const { page } = s;
  // A wire from relu2 into conv1's input (already connected, and a cycle): refused.
  const from = await center(page, `${node('relu2')} .react-flow__handle.source`);
  const to = await center(page, `${node('conv1')} .react-flow__handle.target`);
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(from.x + 2, from.y + 2);
  await page.mouse.move(to.x, to.y, { steps: 8 });
  await page.waitForSelector('[data-testid="wire-hint"]');
  assert.match((await page.textContent('[data-testid="wire-hint"]')) ?? '', /connected twice|cycle/);
  await shot(page, 'wire-hint');
  await page.mouse.up();
  await page.waitForSelector('[data-testid="wire-hint"]', { state: 'detached' });
  assert.match((await page.locator('.st-msg').textContent()) ?? '', /Not connected/);
  // Now a good wire: delete the edge into pool2, wire it back.
  const edges = (await docOf()).edges.length;
  await page.evaluate(() => {
    const st = (window as unknown as { __netwright: { store: { doc: { edges: { id: string; target: string }[] }; remove(n: string[], e: string[]): void } } }).__netwright.store;
    st.remove([], [st.doc.edges.find((e) => e.target === 'pool2')!.id]);
  });
  await drag(page, await center(page, `${node('relu2')} .react-flow__handle.source`), await center(page, `${node('pool2')} .react-flow__handle.target`));
  await page.waitForFunction((n) => (window as unknown as W).__netwright.store.doc.edges.length === n, edges);
  assert.equal(await page.locator('.st-msg', { hasText: 'Not connected' }).count(), 0, 'the old refusal is gone');
  await page.keyboard.press('Control+z');
  await page.keyboard.press('Control+z');
});

test('wording: readable zoom after fit, spaced FLOPs, parameters of an unconnected branch counted apart, export button', { skip: skipReason, timeout: 60_000 }, async () => {
  const { page } = s;
  await page.keyboard.press('Escape');
  await page.keyboard.press('f');
  await page.waitForTimeout(400);
  const zoom = await page.evaluate(() => (window as unknown as W).__netwright.flow.getViewport().zoom);
  assert.ok(zoom >= 0.75 - 1e-6, `zoom after fit ${zoom}: node text readable`);
  const inputBox = (await page.locator(node('input')).boundingBox())!;
  const pane = (await page.locator('.react-flow__pane').boundingBox())!;
  assert.ok(inputBox.y >= pane.y && inputBox.y < pane.y + pane.height, 'the top of the network is in view');
  await shot(page, 'readable-zoom');
  await page.locator(`${node('conv1')} .layer-head`).click();
  assert.match((await page.locator('.inspector .shapes').textContent()) ?? '', /\d FLOPs|\d [kMG] FLOPs/);
  assert.doesNotMatch((await page.locator('.inspector .shapes').textContent()) ?? '', /\dFLOPs/);
  await page.keyboard.press('Escape');
  const total = await page.textContent('[data-testid="network-params"]');
  // A Dense off the pooling, leading nowhere: "ready" stays, but its parameters are not in the total.
  await page.evaluate(() => {
    const st = (window as unknown as { __netwright: { store: { addNode(t: string, p: object): string; connect(a: string, b: string): void; setParam(n: string, k: string, v: number): void } } }).__netwright.store;
    const d = st.addNode('Dense', { x: 600, y: 700 });
    st.setParam(d, 'units', 10);
    st.connect('gap', d);
  });
  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-testid="unused-params"]');
  assert.equal(await page.textContent('[data-testid="network-params"]'), total);
  assert.match((await page.textContent('[data-testid="unused-params"]')) ?? '', /not trained/);
  await page.keyboard.press('Control+z');
  await page.keyboard.press('Control+z');
  await page.keyboard.press('Control+z');
  await page.click('[data-view="export"]');
  assert.match((await page.textContent('[data-testid="export-button"]')) ?? '', /best model/);
  await page.click('[data-view="design"]');
  assert.deepEqual(errorsNow(), []);
});

const chooseFolder = async (dir: string) => {
  const { page } = s;
  await page.click('[data-view="train"]');
  await page.click('[data-testid="choose-folder"]');
  await fillFolderPath(page, dir);
  await page.click('[data-testid="folder-use"]');
  // Should the dialog stay, the failure says what it showed (an error from the engine, or nothing yet).
  await page.waitForSelector('.modal', { state: 'detached', timeout: 20_000 }).catch(async (e: Error) => {
    const shown = await page.textContent('.modal').catch(() => '(no dialog)');
    throw new Error(`the folder dialog for ${dir} stayed open: ${shown}\n${e.message}`);
  });
  await page.waitForFunction((d) => document.querySelector('[data-testid="data-dir"]')?.textContent?.endsWith(d), dir);
};

test('the folder picker: path field, the reason a folder is out of reach, default dataset as a shortcut, symlinks, an SVG icon', { skip: skipReason, timeout: 60_000 }, async () => {
  const { page } = s;
  await page.click('[data-view="train"]');
  await page.click('[data-testid="choose-folder"]');
  await page.waitForSelector('[data-testid="folder-entry"]');
  const names = await page.locator('[data-testid="folder-entry"]').allTextContents();
  assert.ok(names.some((n) => n.includes('sets')));
  await page.locator('[data-testid="folder-entry"]', { hasText: 'sets' }).click();
  await page.waitForSelector('[data-testid="folder-entry"]:has-text("linked-three")');
  assert.ok(await page.locator('[data-testid="folder-entry"] svg.folder-icon').count() > 0, 'the icon is drawn, not a font glyph');
  // The default dataset (serve --data) is a shortcut even though it is outside the project folder.
  await page.waitForSelector('[data-testid="dataset-shortcut"]');
  assert.ok((await page.locator('[data-testid="dataset-shortcut"]').allTextContents()).some((t) => t.includes(data)));
  await page.fill('[data-testid="folder-path"]', '/etc');
  await page.click('[data-testid="folder-use"]');
  await page.waitForSelector('[data-testid="folder-error"]');
  assert.match((await page.textContent('[data-testid="folder-error"]')) ?? '', /outside the project folder/);
  assert.match((await page.textContent('.folder-note')) ?? '', /out of reach/);
  await shot(page, 'folder-picker');
  await page.locator('[data-testid="folder-entry"]', { hasText: 'linked-three' }).click();
  await page.waitForFunction(() => (document.querySelector('[data-testid="folder-path"]') as HTMLInputElement).value.endsWith('/three'), undefined, { timeout: 5000 });
  await page.click('[data-testid="folder-use"]');
  await page.waitForSelector('[data-testid="dataset-report"]');
  await page.waitForFunction(() => /3 classes/.test(document.querySelector('[data-testid="dataset-report"]')?.textContent ?? ''));
});

test('a path typed while the first listing is on its way is kept as typed, not appended to the listed folder', { skip: skipReason, timeout: 60_000 }, async () => {
  // A slow engine: its replies reach this page 800 ms late, so the listing lands while the user is in the field.
  const page = await s.browser.newPage({ viewport: { width: 1440, height: 960 } });
  let delay = 0;
  await page.routeWebSocket(/\/ws/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((m) => server.send(m));
    server.onMessage((m) => (delay ? setTimeout(() => ws.send(m), delay) : ws.send(m)));
  });
  try {
    // The earlier tests' unsaved work is offered back to a new page, whenever that offer comes: take it, as the first page would.
    const restore = page.locator('.modal button.primary', { hasText: 'Restore' });
    await page.addLocatorHandler(restore, () => restore.click());
    await page.goto(s.url);
    await page.waitForSelector('.react-flow__pane');
    await page.click('[data-view="train"]');
    delay = 800;
    await page.click('[data-testid="choose-folder"]');
    await page.click('[data-testid="folder-path"]');
    await page.waitForSelector('[data-testid="folder-entry"]');
    const typed = `${s.root}/three`;
    await page.keyboard.type(typed);
    assert.equal(await page.inputValue('[data-testid="folder-path"]'), typed);
  } finally {
    await page.close();
    // The first page gets the focus back: without it, focus() sets the active element but fires no focus event there.
    await s.page.bringToFront();
  }
});

test('Train is disabled with the report\'s reason for datasets it rejects; a failed start shows error and reason in its row at once', { skip: skipReason, timeout: 90_000 }, async () => {
  const { page } = s;
  await chooseFolder(`${s.root}/oneclass`);
  await page.waitForSelector('[data-testid="dataset-report"]');
  assert.match((await page.textContent('[data-testid="dataset-report"]')) ?? '', /^1 class ·/);
  assert.equal(await page.isDisabled('[data-testid="train-start"]'), true);
  assert.match((await page.textContent('[data-testid="train-blocked"]')) ?? '', /at least two class folders/);
  await chooseFolder(`${s.root}/noimages`);
  await page.waitForSelector('[data-testid="train-blocked"]');
  assert.match((await page.textContent('[data-testid="train-blocked"]')) ?? '', /[Nn]o (usable )?(images|files)/);
  assert.equal(await page.isDisabled('[data-testid="train-start"]'), true);
  await shot(page, 'train-blocked');
  // The engine refuses the same folders naming the real cause, not the unit count.
  const refusals = await page.evaluate(async (root) => {
    const nw = (window as unknown as { __netwright: { store: { doc: unknown }; client: { startTraining(d: unknown, dir: string): Promise<{ runId: string }> }; train: { beginRun(id: string): void; getState(): { error: string | null; runState: string } } } }).__netwright;
    const out: string[] = [];
    for (const dir of ['oneclass', 'noimages']) {
      const r = await nw.client.startTraining(nw.store.doc, `${root}/${dir}`);
      nw.train.beginRun(r.runId);
      for (let i = 0; i < 200 && !nw.train.getState().error; i++) await new Promise((f) => setTimeout(f, 50));
      out.push(nw.train.getState().error ?? '');
      for (let i = 0; i < 100 && nw.train.getState().runState !== 'idle'; i++) await new Promise((f) => setTimeout(f, 50));
    }
    return out;
  }, s.root);
  assert.match(refusals[0], /only one class.*at least two class folders/);
  assert.doesNotMatch(refusals[0], /set the units/);
  assert.match(refusals[1], /no (usable training )?images/);
  assert.doesNotMatch(refusals[1], /set the units/);
  // A 3-class folder for the 4-class network: Train is allowed, the engine refuses; the row says error and why.
  await chooseFolder(`${s.root}/three`);
  await page.waitForSelector('[data-testid="dataset-report"]');
  await page.waitForFunction(() => !(document.querySelector('[data-testid="train-start"]') as HTMLButtonElement).disabled);
  // The refused run's row is the current one until this run's start: wait for the new run, not the old row's error.
  const runBefore = await page.evaluate(() => (window as unknown as W).__netwright.train.getState().runId);
  await page.click('[data-testid="train-start"]');
  await page.waitForFunction((before) => {
    const id = (window as unknown as W).__netwright.train.getState().runId;
    return id !== before && document.querySelector('[data-testid="runs"] tr.current')?.getAttribute('data-run') === id;
  }, runBefore, { timeout: 20_000 });
  await page.waitForSelector('[data-testid="run-error"]');
  const row = page.locator('[data-testid="runs"] tr.current');
  await row.locator('[data-testid="run-status"]', { hasText: 'error' }).waitFor({ timeout: 5000 });
  assert.match((await row.locator('[data-testid="run-status"]').textContent()) ?? '', /error.*4 classes.*3 class folders/);
  const runId = (await row.getAttribute('data-run'))!;
  const rec = JSON.parse(fs.readFileSync(path.join(s.root, 'runs', runId, 'run.json'), 'utf8')) as { status: string };
  assert.equal(rec.status, 'error');
  await shot(page, 'run-error-row');
});

test('a run: live row epochs, short name and dataset column, rename; after a reload mid-run its dataset is shown; the choice survives reloads; another network has its own Train view', { skip: skipReason, timeout: 180_000 }, async () => {
  const { page } = s;
  await chooseFolder(`${s.root}/mydata`);
  await page.waitForSelector('[data-testid="dataset-report"]');
  await page.fill('input[aria-label="batch size"]', '8');
  await page.fill('input[aria-label="epochs"]', '400');
  // Saved, so the reloads below offer no backup to restore.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.keyboard.press('Control+s');
  await page.locator('.st-msg', { hasText: 'Saved' }).waitFor();
  await page.waitForFunction(() => !(document.querySelector('[data-testid="train-start"]') as HTMLButtonElement).disabled);
  await page.click('[data-testid="train-start"]');
  await page.waitForFunction(() => (window as unknown as W).__netwright.train.getState().epochs.length >= 2, undefined, { timeout: 90_000 });
  const row = page.locator('[data-testid="runs"] tr.current');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="runs"] tr.current [data-testid="run-epochs"]')?.textContent) >= 2);
  assert.match((await row.locator('[data-testid="run-status"]').textContent()) ?? '', /running/);
  assert.equal(await row.locator('[data-testid="run-dataset"]').textContent(), 'mydata');
  const runId = (await row.getAttribute('data-run'))!;
  const title = (await row.locator('[data-testid="run-title"]').textContent())!;
  assert.ok(title.length <= 24 && !title.includes('sample-shapes'), `short name: ${title}`);

  // Reload mid-run: the run re-attaches and its dataset is the one shown (not the launch default).
  await reloadKeepingChanges();
  await page.click('[data-view="train"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="data-dir"]')?.textContent?.endsWith('/mydata'), undefined, { timeout: 20_000 });
  await page.waitForFunction(() => (window as unknown as W).__netwright.train.getState().runState === 'running');
  await page.click('[data-view="try"]');
  await page.waitForSelector('[data-testid="try-sample"]', { timeout: 20_000 }).catch(() => undefined);
  await page.click('[data-view="train"]');
  await page.click('[data-testid="train-stop"]');
  await page.waitForSelector('[data-testid="run-done"]', { timeout: 60_000 });

  // Rename: the table and run.json say so.
  const done = page.locator(`[data-testid="runs"] tr[data-run="${runId}"]`);
  await done.locator('[data-testid="run-rename"]').click();
  await page.fill('[data-testid="run-name-input"]', 'first try');
  await page.keyboard.press('Enter');
  await done.locator('[data-testid="run-title"]', { hasText: 'first try' }).waitFor();
  assert.equal((JSON.parse(fs.readFileSync(path.join(s.root, 'runs', runId, 'run.json'), 'utf8')) as { title: string }).title, 'first try');
  await page.locator('.runs-card').screenshot({ path: path.join('test-artifacts', 'training-runs.png') });

  // Try it offers the run's own images, and they work.
  await page.click('[data-view="try"]');
  await page.waitForSelector('[data-testid="try-sample"]', { timeout: 10_000 }).catch(async (e) => {
    await shot(page, 'failed-try');
    throw e;
  });
  await page.click('[data-testid="try-sample"] >> nth=0');
  await page.waitForSelector('[data-testid="try-result"] .topk-row');

  // Idle reload: the document's dataset choice is kept.
  await reloadKeepingChanges();
  await page.click('[data-view="train"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="data-dir"]')?.textContent?.endsWith('/mydata'), undefined, { timeout: 20_000 });

  // Another network: no curves, no "finished", none of the other network's runs.
  await page.keyboard.press('Control+o');
  await page.locator('.modal button', { hasText: "Don't save" }).click({ timeout: 3000 }).catch(() => undefined);
  await page.locator('.file-entry', { hasText: 'lenet5.json' }).first().click();
  await page.waitForFunction(() => (window as unknown as W).__netwright.store.doc.nodes.length === 14);
  await page.click('[data-view="train"]');
  await page.waitForSelector('[data-testid="train-view"]');
  const st = await page.evaluate(() => (window as unknown as W).__netwright.train.getState());
  assert.equal(st.series.step.length, 0);
  assert.equal(st.done, null);
  assert.equal(await page.locator('[data-testid="run-done"]').count(), 0);
  assert.equal(await page.locator(`[data-testid="runs"] tr[data-run="${runId}"]`).count(), 0);
  await page.check('[data-testid="all-runs"]');
  await page.locator(`[data-testid="runs"] tr[data-run="${runId}"]`).waitFor();
  assert.deepEqual(errorsNow(), []);
});
