// Engine messages in zh-CN (issue #21): a skipped file's reason in the dataset report, and an
// engine error (a dataset folder with no class folders) as the Train button's reason, show in
// Chinese from their code + params (engine/graph/error-codes.ts), not as the engine's English.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { sampleData } from '../fixtures/sample.ts';
import { fillFolderPath, skipReason, start, type Session } from './helpers.ts';

let s: Session;
let data: string;
before(async () => {
  if (skipReason) return;
  data = sampleData(6);
  const cls = fs.readdirSync(data).find((n) => fs.statSync(path.join(data, n)).isDirectory())!;
  // A PNG cut off after its signature, and a file beside the class folders.
  fs.writeFileSync(path.join(data, cls, 'broken.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
  fs.writeFileSync(path.join(data, 'notes.txt'), 'not an image');
  s = await start({
    serveArgs: (root) => {
      fs.copyFileSync('examples/sample-shapes.json', path.join(root, 'sample-shapes.json'));
      fs.mkdirSync(path.join(root, 'empty'));
      return ['--doc', path.join(root, 'sample-shapes.json'), '--data', data, '--threads', '1', '--lang', 'zh-CN'];
    },
  });
});
after(async () => {
  await s?.close();
  if (data) fs.rmSync(data, { recursive: true, force: true });
});

test('zh-CN: skipped-file reasons and an engine error show in Chinese', { skip: skipReason, timeout: 120_000 }, async () => {
  const { page } = s;
  await page.click('[data-view="train"]');
  await page.waitForSelector('[data-testid="dataset-report"]', { timeout: 60_000 });
  const skipped = await page.locator('[data-testid="skipped-file"]').allTextContents();
  assert.ok(skipped.some((t) => /broken\.png: PNG 文件被截断或已损坏$/.test(t)), JSON.stringify(skipped));
  assert.ok(skipped.some((t) => /notes\.txt: 不在任何类别文件夹中$/.test(t)), JSON.stringify(skipped));
  assert.ok(!skipped.some((t) => /truncated|class folder/.test(t)), JSON.stringify(skipped));

  // A folder without class folders: the report's error, as the reason Train is off.
  await page.click('[data-testid="choose-folder"]');
  await fillFolderPath(page, path.join(s.root, 'empty'));
  await page.click('[data-testid="folder-use"]');
  await page.waitForSelector('[data-testid="train-blocked"]', { timeout: 30_000 });
  const blocked = (await page.textContent('[data-testid="train-blocked"]')) ?? '';
  assert.match(blocked, /没有找到类别文件夹/);
  assert.ok(blocked.includes(path.join(s.root, 'empty')), blocked);
  assert.doesNotMatch(blocked, /Found no class folders/);

  // The same error in English is the engine's own message.
  await page.selectOption('[data-testid="language"]', 'en');
  await page.waitForFunction(() => /^Found no class folders in /.test(document.querySelector('[data-testid="train-blocked"]')?.textContent ?? ''));
  assert.deepEqual(s.errors, []);
});
