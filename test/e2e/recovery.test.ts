// Crash recovery of the open document: edits are backed up a moment after they are made; after
// the engine and the browser are killed, the next start offers them back. A damaged backup is
// reported and skipped, never fatal.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { skipReason, start } from './helpers.ts';

type W = { __netwright: { store: { doc: { nodes: unknown[] }; getState(): { dirty: boolean; path: string | null }; selectAll(): void; deleteSelection(): void; setName(n: string): void } } };

test('after a crash, the next start offers the unsaved changes back and restores them', { skip: skipReason }, async () => {
  const first = await start({
    serveArgs: (root) => {
      fs.copyFileSync('examples/lenet5.json', path.join(root, 'net.json'));
      return ['--doc', path.join(root, 'net.json')];
    },
  });
  const root = first.root;
  const backup = path.join(root, '.config', 'backup.json');
  try {
    await first.page.waitForFunction(() => document.querySelectorAll('.react-flow__node').length === 14);
    await first.page.evaluate(() => {
      const s = (window as unknown as W).__netwright.store;
      s.setName('LeNet-5, edited');
      s.selectAll();
      s.deleteSelection();
    });
    await first.page.waitForFunction(() => (window as unknown as W).__netwright.store.getState().dirty);
    // The backup lands a moment after the edit.
    for (let i = 0; i < 100 && !fs.existsSync(backup); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(fs.existsSync(backup), 'no backup was written');
  } finally {
    await first.crash();
  }

  const second = await start({ root, serveArgs: () => ['--doc', path.join(root, 'net.json')] });
  try {
    await second.page.waitForSelector('.modal >> text=Restore unsaved work?');
    await second.page.click('.modal button:has-text("Restore")');
    await second.page.waitForFunction(() => (window as unknown as W).__netwright.store.doc.nodes.length === 0);
    const st = await second.page.evaluate(() => (window as unknown as W).__netwright.store.getState());
    assert.equal(st.dirty, true, 'restored changes are unsaved until saved');
    assert.equal(st.path, fs.realpathSync(path.join(root, 'net.json')));
    assert.match(await second.page.title(), /LeNet-5, edited/);
    // The file on disk was never touched by the crash.
    assert.equal(JSON.parse(fs.readFileSync(path.join(root, 'net.json'), 'utf8')).nodes.length, 14);
    assert.deepEqual(second.errors, []);
  } finally {
    await second.crash();
  }

  // A torn backup: reported and skipped; the editor works.
  fs.writeFileSync(backup, fs.readFileSync(backup, 'utf8').slice(0, 40));
  const third = await start({ root, serveArgs: () => ['--doc', path.join(root, 'net.json')] });
  try {
    await third.page.waitForFunction(() => /backup .* is damaged .* and was skipped/.test(document.querySelector('[role="status"]')?.textContent ?? ''));
    await third.page.waitForFunction(() => document.querySelectorAll('.react-flow__node').length === 14);
    assert.equal(await third.page.locator('.modal').count(), 0, 'no restore prompt for a damaged backup');
  } finally {
    await third.close();
  }
});

test('closing the page inside the backup delay still writes the backup', { skip: skipReason }, async () => {
  const s = await start({
    serveArgs: (root) => {
      fs.copyFileSync('examples/mlp.json', path.join(root, 'net.json'));
      return ['--doc', path.join(root, 'net.json')];
    },
  });
  const backup = path.join(s.root, '.config', 'backup.json');
  try {
    await s.page.waitForFunction(() => document.querySelectorAll('.react-flow__node').length === 6);
    await s.page.evaluate(() => (window as unknown as W).__netwright.store.setName('closed at once'));
    await s.page.close({ runBeforeUnload: true });
    for (let i = 0; i < 100 && !fs.existsSync(backup); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(fs.existsSync(backup), 'no backup after closing the page');
    assert.match(JSON.parse(fs.readFileSync(backup, 'utf8')).text, /closed at once/);
  } finally {
    await s.close();
  }
});
