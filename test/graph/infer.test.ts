import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { parseDocument } from '../../engine/graph/document.ts';
import { inferShapes } from '../../engine/graph/infer.ts';
import { chain, net } from '../fixtures/nets.ts';

const input = ['in', 'Input', { height: 28, width: 28, color: 'grayscale' }] as [string, string, Record<string, string | number>];

function problems(nodes: Parameters<typeof net>[1], edges: string[]) {
  return inferShapes(net('t', nodes, edges)).problems;
}

test('the examples analyse cleanly, with the parameter counts PyTorch reports', () => {
  const expected: Record<string, number> = { mlp: 203530, lenet5: 61706, 'small-cnn': 430890 };
  for (const [name, params] of Object.entries(expected)) {
    const r = parseDocument(fs.readFileSync(`examples/${name}.json`, 'utf8'));
    assert.ok(r.ok);
    const a = inferShapes(r.doc);
    assert.equal(a.ok, true, JSON.stringify(a.problems));
    assert.equal(a.totals.params, params, name);
  }
});

test('every edge gets its shape; FLOPs of LeNet-5 follow from its MACs', () => {
  const r = parseDocument(fs.readFileSync('examples/lenet5.json', 'utf8'));
  assert.ok(r.ok);
  const a = inferShapes(r.doc);
  assert.equal(a.edgeShapes.size, r.doc.edges.length);
  assert.deepEqual(a.shapes.get('pool2'), [16, 5, 5]);
  // PyTorch's nets.py counts 416,520 multiply-accumulates for this net; FLOPs add biases and elementwise ops.
  const macs = a.rows.filter((x) => x.type === 'Conv2D' || x.type === 'Dense').reduce((s, x) => s + x.flops, 0);
  assert.ok(macs >= 2 * 416520 && macs < 2 * 416520 + 10000, String(macs));
});

test('Dense fed an image says to insert a Flatten, and offers it as the fix', () => {
  const ps = problems([input, ['c', 'Conv2D', { filters: 8 }], ['d', 'Dense', { units: 10 }], ['out', 'Output']], chain(['in', 'c', 'd', 'out']));
  const p = ps.find((x) => x.nodeId === 'd')!;
  assert.equal(p.code, 'rank');
  assert.match(p.message, /N x 8 x 28 x 28: insert a Flatten/);
  assert.deepEqual(p.fix, { kind: 'insert-before', layer: 'Flatten' });
});

test('a kernel larger than its input is named, with padding same as the fix', () => {
  const ps = problems([['in', 'Input', { height: 4, width: 4 }], ['c', 'Conv2D', { kernel: 7, padding: 'valid' }], ['f', 'Flatten'], ['d', 'Dense', { units: 2 }], ['out', 'Output']], chain(['in', 'c', 'f', 'd', 'out']));
  const p = ps.find((x) => x.nodeId === 'c')!;
  assert.equal(p.code, 'kernel-too-large');
  assert.equal(p.param, 'kernel');
  assert.deepEqual(p.fix, { kind: 'set-param', param: 'padding', value: 'same' });
  assert.equal(ps.filter((x) => x.severity !== 'warning').length, 1, 'no cascade of errors downstream');
});

test('Add of different shapes and Concat of mismatched sizes', () => {
  const ps = problems(
    [input, ['a', 'Conv2D', { filters: 4 }], ['b', 'Conv2D', { filters: 8 }], ['add', 'Add'], ['p', 'MaxPool2D'], ['cat', 'Concat'], ['f', 'Flatten'], ['d', 'Dense', { units: 2 }], ['out', 'Output']],
    ['in>a', 'in>b', 'a>add:0', 'b>add:1', 'a>p', 'p>cat:0', 'b>cat:1', 'cat>f', 'f>d', 'd>out'],
  );
  assert.match(ps.find((x) => x.nodeId === 'add')!.message, /input 1 is N x 4 x 28 x 28 and input 2 is N x 8 x 28 x 28/);
  assert.equal(ps.find((x) => x.nodeId === 'cat')!.code, 'shape-mismatch');
});

test('cycles, missing Input/Output, unconnected parts and doubly wired ports are reported', () => {
  const cyc = problems([input, ['a', 'Add'], ['b', 'ReLU'], ['f', 'Flatten'], ['d', 'Dense', { units: 2 }], ['out', 'Output']], ['in>a:0', 'a>b', 'b>a:1', 'b>f', 'f>d', 'd>out']);
  assert.ok(cyc.some((p) => p.code === 'cycle' && p.nodeId === 'a'), JSON.stringify(cyc));
  assert.ok(cyc.some((p) => p.code === 'cycle' && p.nodeId === 'b'));
  assert.ok(problems([['f', 'Flatten']], []).some((p) => p.code === 'no-input'));
  assert.ok(problems([input], []).some((p) => p.code === 'no-output'));
  const parts = problems([input, ['f', 'Flatten'], ['d', 'Dense', { units: 2 }], ['out', 'Output'], ['lonely', 'ReLU']], chain(['in', 'f', 'd', 'out']));
  assert.ok(parts.some((p) => p.code === 'disconnected' && p.nodeId === 'lonely'));
  const twice = problems([input, ['x', 'Input'], ['f', 'Flatten'], ['d', 'Dense', { units: 2 }], ['out', 'Output']], ['in>f', 'x>f', 'f>d', 'd>out']);
  assert.ok(twice.some((p) => p.code === 'port-wired-twice' && p.nodeId === 'f'));
  const port = problems([input, ['f', 'Flatten'], ['d', 'Dense', { units: 2 }], ['out', 'Output']], ['in>f', 'f>d', 'd>out', 'in>d:3']);
  assert.ok(port.some((p) => p.code === 'bad-port'));
  const open = problems([input, ['c', 'Conv2D'], ['add', 'Add'], ['f', 'Flatten'], ['d', 'Dense', { units: 2 }], ['out', 'Output']], ['in>c', 'c>add:0', 'add>f', 'f>d', 'd>out']);
  assert.match(open.find((p) => p.nodeId === 'add')!.message, /input 2 of Add "add" is not connected/);
});

test('a branch that never reaches the output is a warning, not an error', () => {
  const a = inferShapes(net('t', [input, ['f', 'Flatten'], ['d', 'Dense', { units: 2 }], ['out', 'Output'], ['extra', 'ReLU']], [...chain(['in', 'f', 'd', 'out']), 'f>extra']));
  assert.equal(a.ok, true);
  assert.equal(a.problems.find((p) => p.nodeId === 'extra')!.severity, 'warning');
});

test('bad parameter values name the node and the parameter', () => {
  const ps = problems([input, ['c', 'Conv2D', { kernel: 0, filters: 2.5, padding: 'wide' }], ['f', 'Flatten'], ['d', 'Dense', { units: 2 }], ['out', 'Output']], chain(['in', 'c', 'f', 'd', 'out']));
  const on = (param: string) => ps.find((p) => p.nodeId === 'c' && p.param === param)!;
  assert.equal(on('kernel').code, 'param-range');
  assert.equal(on('filters').code, 'param-type');
  assert.match(on('padding').message, /one of valid, same, explicit/);
});
