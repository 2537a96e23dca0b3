// What the importer cannot represent is refused with the node, its op and what is missing;
// graphs built with the engine's own ONNX builder, so these run without Python.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphBuilder } from '../../engine/onnx/builder.ts';
import { importOnnx } from '../../engine/graph/from-onnx.ts';
import { encodeModel, floatTensor, type Attr } from '../../engine/onnx/model.ts';

function model(build: (g: GraphBuilder, x: string) => string | string[], opts: { opset?: number; shape?: number[] } = {}): Uint8Array {
  const g = new GraphBuilder();
  const x = g.input('x', 'float32', opts.shape ?? [1, 3, 8, 8]);
  const outs = build(g, x);
  for (const o of Array.isArray(outs) ? outs : [outs]) g.output(o);
  return encodeModel({ graph: g.graph('t'), opset: opts.opset ?? 13, metadata: {} });
}
const w = (g: GraphBuilder, name: string, dims: number[]) => g.initializer(floatTensor(name, dims, new Array(dims.reduce((a, b) => a * b, 1)).fill(0.1)));
const conv = (g: GraphBuilder, x: string, attrs: Record<string, Attr> = {}) => g.op('Conv', [x, w(g, `w${g.nodes.length}`, [4, 3, 3, 3])], { kernel_shape: { ints: [3, 3] }, ...attrs }, undefined, 'conv');

const CASES: [string, Uint8Array, RegExp][] = [
  ['a non-square pooling window', model((g, x) => g.op('MaxPool', [x], { kernel_shape: { ints: [3, 2] } }, undefined, 'pool')), /\(MaxPool\): the window 3x2 is not square/],
  ['a weight that is not a constant', model((g, x) => g.op('Conv', [x, g.op('Relu', [x])], {}, undefined, 'c')), /\(Conv\): the weight \(.*\) must be a constant/],
  ['a Reshape that is not a flatten', model((g, x) => g.op('Reshape', [conv(g, x), g.constI64([1, 2, -1])])), /\(Reshape\): reshaping \[N, 4,6,6\] to \[1,2,-1\] is not supported/],
  ['reflect padding', model((g, x) => g.op('Pad', [x, g.constI64([0, 0, 1, 1, 0, 0, 1, 1])], { mode: { s: 'reflect' } })), /\(Pad\): mode reflect is not supported/],
  ['different strides per axis', model((g, x) => conv(g, x, { strides: { ints: [1, 2] } })), /\(Conv\): strides \[1,2\] differ between height and width/],
  ['LogSoftmax', model((g, x) => g.op('LogSoftmax', [g.op('Flatten', [conv(g, x)], { axis: { i: 1 } })], { axis: { i: 1 } })), /\(LogSoftmax\): LogSoftmax is not supported/],
  ['an Add of a constant that is no bias', model((g, x) => g.op('Add', [x, w(g, 'k', [1, 3, 8, 8])])), /\(Add\): adding the constant k \[1,3,8,8\] is supported only as the bias/],
  ['an unknown operator', model((g, x) => g.op('Upsample', [x, g.constF([1, 1, 2, 2])])), /node 0 .*\(Upsample\): Netwright has no layer for the ONNX operator Upsample/],
  ['two outputs', model((g, x) => [g.op('Relu', [x]), g.op('Sigmoid', [x])]), /the graph has 2 outputs/],
  ['a 4-channel input', model((g, x) => g.op('Relu', [x]), { shape: [1, 4, 8, 8] }), /4 channels; Netwright's Input is grayscale \(1\) or RGB \(3\)/],
  ['a symbolic height', model((g, x) => g.op('Relu', [x]), { shape: [1, 3, 'H' as unknown as number, 8] }), /height and width must be fixed sizes/],
  ['an opset before 6', model((g, x) => g.op('Relu', [x]), { opset: 5 }), /opset 5 is too old/],
  ['MaxPool Indices that are used', model((g, x) => g.opN('MaxPool', [x], 2, { kernel_shape: { ints: [2, 2] } })[1]), /\(MaxPool\): its output .* is used; Netwright layers have one output/],
];

for (const [what, bytes, message] of CASES) {
  test(`refused, naming node and op: ${what}`, () => {
    assert.throws(() => importOnnx(bytes), message);
  });
}

test('refused: bytes that are not an ONNX model', () => {
  assert.throws(() => importOnnx(new TextEncoder().encode('not a model at all')), /not a readable ONNX model/);
});

test('accepted: the same ops where they fit (Clip as inputs at opset 13, Pad as an input, a fixed batch of 4)', () => {
  const bytes = model((g, x) => {
    const c = g.op('Clip', [conv(g, g.op('Pad', [x, g.constI64([0, 0, 1, 2, 0, 0, 1, 2])])), g.constF([0]), g.constF([6])]);
    return g.op('Gemm', [g.op('Flatten', [c], { axis: { i: 1 } }), w(g, 'fc', [5, 4 * 8 * 10])], { transB: { i: 1 } });
  }, { shape: [4, 3, 8, 8] });
  const r = importOnnx(bytes);
  assert.deepEqual(r.doc.nodes.map((n) => n.type), ['Input', 'Pad', 'Conv2D', 'Clip', 'Flatten', 'Dense', 'Output']);
  assert.equal(r.doc.nodes[3].label, 'ReLU6');
  assert.deepEqual(r.doc.nodes[1].params, { top: 1, bottom: 1, left: 2, right: 2, value: 0 });
});
