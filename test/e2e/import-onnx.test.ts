// File > Import ONNX… in web mode: pick an .onnx model inside the project, import it, and the
// editor shows the imported network (its document and weights file written beside the model).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { legacyGraphs, torchSkip } from '../onnx/import-helpers.ts';
import { skipReason, start, type Session } from './helpers.ts';

const skip = skipReason ?? (torchSkip || undefined);
let s: Session;
let root = '';
before(async () => {
  if (skip) return;
  const models = legacyGraphs();
  s = await start({
    serveArgs: (r) => {
      root = r;
      fs.mkdirSync(path.join(r, 'models'));
      fs.copyFileSync(path.join(models, 'zoo-opset8.onnx'), path.join(r, 'models', 'zoo.onnx'));
      return [];
    },
  });
});
after(async () => {
  await s?.close();
});

test('Import ONNX… opens the imported network', { skip }, async () => {
  const { page } = s;
  await page.click('button:has-text("Import ONNX…")');
  await page.click('.modal .file-entry.dir:has-text("models")');
  await page.click('.modal .file-entry.file >> text="zoo.onnx"');
  await page.click('.modal button.primary:has-text("Import")');
  await page.waitForFunction(() => document.querySelectorAll('.react-flow__node').length === 8, undefined, { timeout: 30_000 });
  const status = (await page.textContent('[role="status"]')) ?? '';
  assert.match(status, /Imported 8 layers, 885 parameters/);
  assert.ok(fs.existsSync(path.join(root, 'models', 'zoo.json')));
  assert.ok(fs.existsSync(path.join(root, 'models', 'zoo.weights.safetensors')));
  assert.deepEqual(s.errors, []);
});
