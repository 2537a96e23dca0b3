// File > Import ONNX… through the engine host (what the web dialog and the desktop menu call):
// the model must be inside the project; the document comes back opened (saveable), its weights
// file beside it; a refused model writes nothing; listDir lists .onnx models for the dialog.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { createHost } from '../../engine/host.ts';
import type { ServerResponse } from '../../engine/protocol.ts';
import { tempDir } from '../fixtures/temp.ts';
import { legacyGraphs, torchSkip } from './import-helpers.ts';

const skip = torchSkip;

test('importOnnx: the model inside the project becomes an opened document with its weights; refusals write nothing', { skip }, async () => {
  const root = fs.realpathSync(tempDir('nw-ihost-'));
  const outside = tempDir('nw-ihost-out-');
  const host = createHost({ root, recentFile: path.join(root, '.recent.json') });
  let id = 1;
  const call = (req: Record<string, unknown>): Promise<ServerResponse> => host.handle({ ...req, id: id++ });
  fs.mkdirSync(path.join(root, 'models'));
  fs.copyFileSync(path.join(legacyGraphs(), 'zoo-opset8.onnx'), path.join(root, 'models', 'zoo.onnx'));
  fs.copyFileSync(path.join(legacyGraphs(), 'refused-lrn.onnx'), path.join(root, 'models', 'lrn.onnx'));
  fs.copyFileSync(path.join(legacyGraphs(), 'zoo-opset8.onnx'), path.join(outside, 'zoo.onnx'));

  const ls = await call({ method: 'listDir', dir: 'models', files: 'onnx' });
  assert.ok(ls.ok, JSON.stringify(ls));
  assert.deepEqual((ls.result as { entries: { name: string }[] }).entries.map((e) => e.name), ['lrn.onnx', 'zoo.onnx']);

  const r = await call({ method: 'importOnnx', path: 'models/zoo.onnx', preset: 'imagenet' });
  assert.ok(r.ok, JSON.stringify(r));
  const res = r.result as { path: string; text: string; weights: string; open: boolean; layers: number; params: number };
  assert.equal(res.path, path.join(root, 'models', 'zoo.json'));
  assert.equal(res.weights, path.join(root, 'models', 'zoo.weights.safetensors'));
  assert.equal(res.open, false);
  assert.equal(res.params, 885);
  const doc = JSON.parse(res.text);
  assert.equal(doc.weights, 'zoo.weights.safetensors');
  assert.deepEqual([0, 1, 2].map((i) => doc.nodes[0].params[`mean${i}`]), [0.485, 0.456, 0.406]);
  // Opened: a plain save goes through.
  const saved = await call({ method: 'saveFile', path: res.path, text: res.text, chosen: false });
  assert.ok(saved.ok, JSON.stringify(saved));
  // A second import does not overwrite it unless asked.
  const again = await call({ method: 'importOnnx', path: 'models/zoo.onnx' });
  assert.ok(!again.ok && again.code === 'exists', JSON.stringify(again));

  const refused = await call({ method: 'importOnnx', path: 'models/lrn.onnx' });
  assert.ok(!refused.ok, JSON.stringify(refused));
  assert.match(refused.error, /node 1 "norm1" \(LRN\)/);
  assert.ok(!fs.existsSync(path.join(root, 'models', 'lrn.json')) && !fs.existsSync(path.join(root, 'models', 'lrn.weights.safetensors')));

  const out = await call({ method: 'importOnnx', path: path.join(outside, 'zoo.onnx') });
  assert.ok(!out.ok && out.code === 'refused', JSON.stringify(out));
});
