// ONNX import of models exported by Debian's PyTorch: import, export back, and ONNX Runtime gives
// the same logits on both files; `netwright validate` counts PyTorch's trainable parameters.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { roundTrip, torchModels, torchSkip } from './import-helpers.ts';

const skip = torchSkip;
const cli = (...args: string[]) => execFileSync(process.execPath, ['--import', 'tsx', 'engine/cli.ts', ...args], { encoding: 'utf8' });

const CASES: { spec: string; params: number; preset?: boolean }[] = [
  { spec: 'lenet:11', params: 61706 },
  { spec: 'lenet:17', params: 61706 },
  { spec: 'resnet18:11', params: 11181642, preset: true },
  { spec: 'resnet18:17', params: 11181642, preset: true },
  { spec: 'mobilenet_v2:11', params: 2236682, preset: true },
  { spec: 'mobilenet_v2:17', params: 2236682, preset: true },
  { spec: 'squeezenet1_1:11', params: 727626, preset: true },
  { spec: 'squeezenet1_1:17', params: 727626, preset: true },
];

for (const c of CASES) {
  test(`import ${c.spec}: export back reproduces ONNX Runtime on the original to 1e-4, PyTorch's parameter count`, { skip }, async () => {
    const file = torchModels([c.spec])[c.spec];
    const r = await roundTrip(file, c.preset ? { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } : {});
    assert.equal(r.open, false, 'a classifier imports with its Output head');
    assert.equal(r.params, c.params);
    assert.ok(r.maxAbsDiff < 1e-4, `max abs diff of logits ${r.maxAbsDiff}`);
    console.log(`  ${c.spec}: max abs diff of logits ${r.maxAbsDiff.toExponential(2)}, ${r.params.toLocaleString('en-US')} trainable parameters`);
    if (c.spec.endsWith(':17') && !c.spec.startsWith('lenet')) {
      const out = cli('validate', r.docPath);
      assert.match(out, new RegExp(`total: ${c.params.toLocaleString('en-US')} parameters`));
    }
  });
}

test('a backbone cut before its head (resnet18 with fc = Identity) imports with its output open and exports its features', { skip }, async () => {
  const file = torchModels(['resnet18_backbone:17'])['resnet18_backbone:17'];
  const r = await roundTrip(file);
  assert.equal(r.open, true);
  assert.ok(r.maxAbsDiff < 1e-4, `max abs diff of the features ${r.maxAbsDiff}`);
  // No Output node: validate says the head is missing, the rest of the network is fine.
  const doc = JSON.parse(fs.readFileSync(r.docPath, 'utf8'));
  assert.equal(doc.nodes.filter((n: { type: string }) => n.type === 'Output').length, 0);
  const v = spawnSync(process.execPath, ['--import', 'tsx', 'engine/cli.ts', 'validate', r.docPath], { encoding: 'utf8' });
  assert.equal(v.status, 1);
  assert.match(v.stderr, /no output head/);
  assert.doesNotMatch(v.stderr, /\[/, 'no layer has a problem');
});

test('netwright export: a document with its weights (a run folder: import-weights.test.ts)', { skip }, async () => {
  const file = torchModels(['lenet:17'])['lenet:17'];
  const r = await roundTrip(file);
  const out = path.join(path.dirname(r.docPath), 'cli.onnx');
  const res = JSON.parse(cli('export', r.docPath, '--out', out, '--json'));
  assert.equal(res.ok, true);
  assert.ok(res.maxAbsDiff <= 1e-4);
  assert.ok(fs.existsSync(out));
});
