// Files from older exporters (ONNX Model Zoo era): Conv without bias + Add, MatMul + Add, Reshape as
// flatten, auto_pad, Constant nodes, opset 7-8 attributes. Each imports, exports back and matches
// ONNX Runtime on the original; what Netwright cannot represent is refused by node and op, with
// nothing written.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../fixtures/temp.ts';
import { legacyGraphs, roundTrip, torchSkip } from './import-helpers.ts';

const skip = torchSkip;

const CASES: { name: string; layers: string[]; open?: boolean }[] = [
  { name: 'zoo-opset8', layers: ['Input', 'Conv2D', 'BatchNorm', 'ReLU', 'MaxPool2D', 'Flatten', 'Dense', 'Output'] },
  { name: 'autopad-opset8', layers: ['Input', 'Conv2D', 'Clip', 'Pad', 'Conv2D', 'LeakyReLU', 'Dropout', 'Flatten', 'Dense', 'Output'] },
  { name: 'viewflat-opset9', layers: ['Input', 'Conv2D', 'ReLU', 'Flatten', 'Dense', 'Output'] },
  { name: 'branches-opset7', layers: ['Input', 'Conv2D', 'ReLU', 'Conv2D', 'Add', 'Sigmoid', 'Tanh', 'Add', 'Concat', 'AvgPool2D', 'GlobalAvgPool', 'Dense', 'Output'] },
];

for (const c of CASES) {
  test(`older exporter's graph ${c.name}: imports and matches ONNX Runtime on the original`, { skip }, async () => {
    const file = path.join(legacyGraphs(), `${c.name}.onnx`);
    const r = await roundTrip(file, c.name === 'branches-opset7' ? { inputShape: [3, 3, 6, 6] } : {});
    const doc = JSON.parse(fs.readFileSync(r.docPath, 'utf8'));
    assert.deepEqual(doc.nodes.map((n: { type: string }) => n.type), c.layers);
    assert.ok(r.maxAbsDiff < 1e-4, `max abs diff ${r.maxAbsDiff}`);
    console.log(`  ${c.name}: max abs diff ${r.maxAbsDiff.toExponential(2)}`);
  });
}

test('the bias Add folds into the Conv and the MatMul: both become layers with bias', { skip }, async () => {
  const r = await roundTrip(path.join(legacyGraphs(), 'zoo-opset8.onnx'));
  const doc = JSON.parse(fs.readFileSync(r.docPath, 'utf8'));
  assert.equal(doc.nodes.find((n: { type: string }) => n.type === 'Conv2D').params.bias, true);
  assert.equal(doc.nodes.find((n: { type: string }) => n.type === 'Dense').params.bias, true);
  // Softmax at the end: the Output head's probabilities (what roundTrip compared).
  assert.equal(doc.nodes.filter((n: { type: string }) => n.type === 'Softmax').length, 0);
});

test('an operator Netwright cannot represent is refused by node and op; nothing is written', { skip }, () => {
  const dir = tempDir();
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'engine/cli.ts', 'import', path.join(legacyGraphs(), 'refused-lrn.onnx'), '--out', path.join(dir, 'net.json')], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /node 1 "norm1" \(LRN\): Netwright has no layer for the ONNX operator LRN/);
  assert.deepEqual(fs.readdirSync(dir), []);
});
