// The editor as the desktop app drives it: the preload's window API (native menus, files opened
// from outside, dirty state for the close prompt) imitated in a real Chromium page.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { MENU_COMMANDS } from '../../electron/menu.ts';
import { skipReason, start, type Session } from './helpers.ts';

let s: Session;
before(async () => {
  if (skipReason) return;
  s = await start();
  // A string, not a function: tsx's transform would leave helper calls in a serialized function.
  await s.page.addInitScript({
    content: `
      window.__dirty = [];
      window.netwright = {
        window: {
          setDirty: (dirty, title) => (window.__dirty.push([dirty, title]), Promise.resolve()),
          onMenuCommand: (cb) => { window.__menu = cb; },
          onEngineLost: (cb) => { window.__lost = cb; },
          pathForFile: () => '',
        },
      };`,
  });
  await s.page.reload();
  await s.page.waitForSelector('.react-flow__pane');
});
after(async () => {
  await s?.close();
});

const menu = (command: string, p?: string) => s.page.evaluate(([c, x]) => (window as unknown as { __menu(m: unknown): void }).__menu({ command: c, path: x }), [command, p] as const);
const nodes = () => s.page.evaluate(() => (window as unknown as { __netwright: { store: { doc: { nodes: unknown[] } } } }).__netwright.store.doc.nodes.length);
const lastDirty = () => s.page.evaluate(() => ((window as unknown as { __dirty: [boolean, string][] }).__dirty).at(-1));

test('menu commands and files opened from outside reach the editor; dirty state reaches the shell', { skip: skipReason }, async () => {
  fs.copyFileSync('examples/lenet5.json', path.join(s.root, 'lenet.json'));
  await menu('open-path', path.join(s.root, 'lenet.json'));
  await s.page.waitForFunction(() => (window as unknown as { __netwright: { store: { doc: { nodes: unknown[] } } } }).__netwright.store.doc.nodes.length === 14);
  assert.deepEqual(await lastDirty(), [false, 'LeNet-5 (28x28x1)']);

  await menu('select-all');
  await menu('delete');
  assert.equal(await nodes(), 0);
  await s.page.waitForFunction(() => ((window as unknown as { __dirty: [boolean][] }).__dirty).at(-1)?.[0] === true);
  await menu('undo');
  assert.equal(await nodes(), 14);
  await menu('redo');
  assert.equal(await nodes(), 0);
  await menu('undo');

  await menu('shortcuts');
  await s.page.waitForSelector('table.shortcuts');
  await s.page.keyboard.press('Escape');
  await s.page.evaluate(() => (window as unknown as { __lost(): void }).__lost());
  await s.page.waitForSelector('[role="status"]:has-text("engine stopped")');
  // Every native menu item has a handler: none of them leaves an error behind.
  for (const c of MENU_COMMANDS.filter((c) => !['new', 'open', 'save', 'save-as', 'delete', 'paste', 'shortcuts', 'train-start'].includes(c))) await menu(c);
  assert.deepEqual(s.errors, []);
});
