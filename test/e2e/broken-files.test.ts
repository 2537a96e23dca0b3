// The corpus of broken project files (test/corpus/documents) opened in the editor: each one
// is refused with its message, the document already open stays, and the app keeps working.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { skipReason, start, type Session } from './helpers.ts';

const corpus = 'test/corpus/documents';
const expected: Record<string, { stage: string; code: string; message: string }> = JSON.parse(fs.readFileSync(path.join(corpus, 'expected.json'), 'utf8'));

let s: Session;
before(async () => {
  if (skipReason) return;
  s = await start({
    serveArgs: (root) => {
      for (const f of Object.keys(expected)) fs.copyFileSync(path.join(corpus, f), path.join(root, f));
      fs.copyFileSync('examples/lenet5.json', path.join(root, 'good.json'));
      // 10 MB of junk with a .json name.
      fs.writeFileSync(path.join(root, 'junk.json'), Buffer.alloc(10 * 1024 * 1024, 0x7b));
      return ['--doc', path.join(root, 'good.json')];
    },
  });
});
after(async () => {
  await s?.close();
});

const nodes = () => s.page.evaluate(() => (window as unknown as { __netwright: { store: { doc: { nodes: unknown[] } } } }).__netwright.store.doc.nodes.length);

test('every broken project file is refused with its reason and the open network stays', { skip: skipReason }, async () => {
  const { page } = s;
  await page.waitForFunction(() => document.querySelectorAll('.react-flow__node').length === 14);
  // Files that load but have problems open (the problems show on the canvas); the rest are refused.
  const refused = Object.entries(expected).filter(([, w]) => w.stage === 'load').map(([f]) => f);
  for (const file of [...refused, 'junk.json']) {
    await page.click('button:has-text("Open…")');
    await page.click(`.modal .file-entry.file >> text="${file}"`);
    await page.waitForFunction((f) => document.querySelector('[role="status"]')?.textContent?.includes(`Cannot open ${f}`), file, { timeout: 20_000 });
    const text = (await page.textContent('[role="status"]')) ?? '';
    assert.match(text, new RegExp(`Cannot open ${file.replace('.', '\\.')}`), text);
    if (expected[file]) assert.ok(text.includes(expected[file].message), `${file}: "${text}" should contain "${expected[file].message}"`);
    assert.equal(await nodes(), 14, `${file} replaced the open network`);
  }
  // Still working: an edit and its undo.
  await page.evaluate(() => (window as unknown as { __netwright: { store: { selectAll(): void; deleteSelection(): void; undo(): void } } }).__netwright.store.selectAll());
  await page.evaluate(() => (window as unknown as { __netwright: { store: { deleteSelection(): void } } }).__netwright.store.deleteSelection());
  assert.equal(await nodes(), 0);
  await page.evaluate(() => (window as unknown as { __netwright: { store: { undo(): void } } }).__netwright.store.undo());
  assert.equal(await nodes(), 14);
  assert.deepEqual(s.errors, []);
});
